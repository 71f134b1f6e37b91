"""Generation through an on-premise OpenAI-compatible server (llama.cpp's server, vLLM) instead of in-process.

The server runs the model; Enclave still builds the prompts, redacts, retrieves and guards the output.
Only the legacy completions endpoint is used, so the prompts are exactly the ones the in-process
generator gets (Enclave's few-shot completion prompts) and no server-side template changes them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from rag.egress import is_loopback_host
from rag.errors import ConfigurationError, GeneratorUnavailableError
from rag.generator import choice_grammar
from rag.types import Completion


def validated_base_url(url: str, allowed_hosts: Sequence[str]) -> str:
    """``url`` if it is http(s) on loopback or on an allow-listed internal host; else ConfigurationError."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigurationError(f"ENCLAVE_LLM_BASE_URL must be an http(s) URL, got {url!r}")
    allowed = {host.lower() for host in allowed_hosts}
    if not is_loopback_host(parsed.hostname) and parsed.hostname.lower() not in allowed:
        raise ConfigurationError(
            f"ENCLAVE_LLM_BASE_URL points at {parsed.hostname}, which is neither loopback nor in "
            "ENCLAVE_LLM_ALLOWED_HOSTS: prompts hold your documents' text, so name the host explicitly"
        )
    return url.rstrip("/")


class OpenAICompatibleGenerator:
    """The Generator protocol over an OpenAI-compatible server's ``/v1/completions``, with the official client."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        api_key: str | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        timeout_seconds: float = 120.0,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        from openai import DefaultHttpx2Client, OpenAI  # deferred: only when an OpenAI-compatible server is configured

        url = validated_base_url(base_url, allowed_hosts)
        self.base_url = url
        self._model = model
        self._temperature = temperature
        self._seed = seed
        # trust_env=False: a proxy from the environment must not carry prompts off the machine.
        self._client = OpenAI(
            base_url=f"{url}/v1",
            api_key=api_key or "unused",
            timeout=timeout_seconds,
            max_retries=2,
            http_client=DefaultHttpx2Client(trust_env=False),
        )

    @property
    def chat_template(self) -> str | None:
        # Prompts go to the completions endpoint as text: Enclave's completion prompts, not a chat.
        return None

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        prefix: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> Completion:
        from openai import OpenAIError  # deferred: only when an OpenAI-compatible server is configured

        started = time.perf_counter()
        try:
            # Not streamed, so that the server reports the prompt's token count.
            response = self._client.completions.create(
                **self._request(prompt, max_tokens, stop), extra_body=_choice_fields(choices) or None
            )
        except OpenAIError as exc:
            raise GeneratorUnavailableError(
                f"the language model server at {self.base_url} failed", cause=str(exc)
            ) from exc
        elapsed = time.perf_counter() - started
        usage = response.usage
        return Completion(
            text=response.choices[0].text if response.choices else "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            first_token_seconds=elapsed,
            total_seconds=elapsed,
        )

    def stream(
        self, prompt: str, *, max_tokens: int, stop: Sequence[str] = (), prefix: str | None = None
    ) -> Iterator[str | Completion]:
        # ``prefix`` is the in-process generator's cache hint; servers cache prompt prefixes themselves.
        yield from self._stream(prompt, max_tokens=max_tokens, stop=stop)

    def prepare(self, prefixes: Sequence[str]) -> None:
        # Nothing to do here: the server keeps its own prompt cache, filled by the first request.
        return None

    def choice_probabilities(
        self, prompt: str, choices: Sequence[str], prefix: str | None = None
    ) -> dict[str, float] | None:
        # Without the server's tokenizer the choices' first tokens are unknown, so probabilities cannot be
        # read off; None makes callers ask for a grammar-constrained choice instead.
        return None

    def _request(self, prompt: str, max_tokens: int, stop: Sequence[str]) -> dict[str, Any]:
        """The arguments every completion request carries, streamed or not."""
        return {
            "model": self._model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": self._temperature,
            "seed": self._seed,
            "stop": list(stop) or None,
        }

    def _stream(self, prompt: str, *, max_tokens: int, stop: Sequence[str]) -> Iterator[str | Completion]:
        from openai import OpenAIError  # deferred: only when an OpenAI-compatible server is configured

        started = time.perf_counter()
        pieces: list[str] = []
        first_token = 0.0
        count = 0
        prompt_tokens = 0
        try:
            stream = self._client.completions.create(
                **self._request(prompt, max_tokens, stop),
                stream=True,
                # Servers that honour it report the prompt's token count in a last chunk.
                stream_options={"include_usage": True},
            )
            for chunk in stream:
                if chunk.usage is not None:
                    prompt_tokens = chunk.usage.prompt_tokens
                    count = max(count, chunk.usage.completion_tokens)
                if not chunk.choices:
                    continue
                text = chunk.choices[0].text
                if text:
                    count += 1
                    if count == 1:
                        first_token = time.perf_counter() - started
                    pieces.append(text)
                    yield text
        except OpenAIError as exc:
            raise GeneratorUnavailableError(
                f"the language model server at {self.base_url} failed", cause=str(exc)
            ) from exc
        yield Completion(
            text="".join(pieces),
            prompt_tokens=prompt_tokens,
            completion_tokens=count,
            first_token_seconds=first_token or time.perf_counter() - started,
            total_seconds=time.perf_counter() - started,
        )


def _choice_fields(choices: Sequence[str] | None) -> dict[str, Any]:
    """Request fields that constrain the answer to one of ``choices``.

    llama.cpp's server reads a GBNF grammar, vLLM a list of choices; each ignores the other's field.
    """
    if not choices:
        return {}
    return {"grammar": choice_grammar(choices), "guided_choice": list(choices)}
