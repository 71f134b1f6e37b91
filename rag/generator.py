"""Text generation with llama-cpp-python over a local GGUF file, on CPU."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import numpy as np

from rag.errors import ConfigurationError
from rag.types import Completion


def choice_grammar(choices: Sequence[str]) -> str:
    """A GBNF grammar whose only sentences are the given choices."""
    alternatives = " | ".join(json.dumps(choice, ensure_ascii=False) for choice in choices)
    return f"root ::= {alternatives}"


class LlamaGenerator:
    """One loaded model, used by one generation at a time (llama.cpp contexts are not thread-safe).

    The evaluated state of each fixed prompt prefix (instructions and examples) is kept, so a prompt
    that starts with it only evaluates what follows.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        use_chat_template: bool = True,
    ) -> None:
        from llama_cpp import Llama  # deferred: heavy (llama.cpp)

        threads = n_threads or len(os.sched_getaffinity(0))
        try:
            self._llm = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                seed=seed,
                # A full-size sliding-window cache lets llama.cpp cut the cache back to a shared prefix.
                swa_full=True,
                verbose=False,
            )
        except ValueError as exc:
            raise ConfigurationError(f"cannot load GGUF model {model_path}", cause=str(exc)) from exc
        self._temperature = temperature
        self._seed = seed
        self._lock = threading.Lock()
        self._prefix_states: dict[str, Any] = {}
        self._use_chat_template = use_chat_template
        self.n_ctx = n_ctx
        self.model_path = model_path

    @property
    def chat_template(self) -> str | None:
        """The GGUF's chat template, when it has one and we were asked to use it."""
        if not self._use_chat_template:
            return None
        return self._llm.metadata.get("tokenizer.chat_template") or None

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        prefix: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> Completion:
        result: Completion | None = None
        for item in self._generate(prompt, max_tokens=max_tokens, stop=stop, prefix=prefix, choices=choices):
            if isinstance(item, Completion):
                result = item
        assert result is not None
        return result

    def stream(
        self, prompt: str, *, max_tokens: int, stop: Sequence[str] = (), prefix: str | None = None
    ) -> Iterator[str | Completion]:
        """Text pieces as they are generated, then the finished ``Completion``."""
        yield from self._generate(prompt, max_tokens=max_tokens, stop=stop, prefix=prefix, choices=None)

    def _generate(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: Sequence[str],
        prefix: str | None,
        choices: Sequence[str] | None,
    ) -> Iterator[str | Completion]:
        from llama_cpp import LlamaGrammar  # deferred: heavy (llama.cpp)

        grammar = LlamaGrammar.from_string(choice_grammar(choices), verbose=False) if choices else None
        with self._lock:
            started = time.perf_counter()
            if prefix is not None and prompt.startswith(prefix):
                self._restore_prefix(prefix)
            prompt_tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=True)
            room = self.n_ctx - len(prompt_tokens)
            if room < 8:
                raise ConfigurationError(
                    f"prompt of {len(prompt_tokens)} tokens does not fit the context of {self.n_ctx} tokens; "
                    "raise ENCLAVE_LLM_CONTEXT or lower ENCLAVE_TOP_K"
                )
            pieces: list[str] = []
            first_token = 0.0
            count = 0
            stream = self._llm.create_completion(
                prompt_tokens,
                max_tokens=min(max_tokens, room),
                temperature=self._temperature,
                top_k=1 if self._temperature == 0 else 40,
                seed=self._seed,
                stop=list(stop),
                grammar=grammar,
                stream=True,
            )
            for chunk in cast(Iterator[dict[str, Any]], stream):
                text = chunk["choices"][0]["text"]
                count += 1
                if count == 1:
                    first_token = time.perf_counter() - started
                if text:
                    pieces.append(text)
                    yield text
            yield Completion(
                text="".join(pieces),
                prompt_tokens=len(prompt_tokens),
                completion_tokens=count,
                first_token_seconds=first_token or time.perf_counter() - started,
                total_seconds=time.perf_counter() - started,
            )

    def choice_probabilities(
        self, prompt: str, choices: Sequence[str], prefix: str | None = None
    ) -> dict[str, float] | None:
        """The model's probability of each choice as the continuation of ``prompt``, among the choices.

        Read from the next-token distribution, so every choice is scored whatever its position in
        the prompt; None when two choices begin with the same token and cannot be told apart.
        """
        import llama_cpp  # deferred: heavy (llama.cpp)

        first_tokens = [
            self._llm.tokenize(f" {choice}".encode(), add_bos=False, special=False)[:1] for choice in choices
        ]
        if any(not tokens for tokens in first_tokens) or len({t[0] for t in first_tokens}) < len(choices):
            return None
        with self._lock:
            if prefix is not None and prompt.startswith(prefix):
                self._restore_prefix(prefix)
            tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=True)
            if len(tokens) >= self.n_ctx:
                raise ConfigurationError(f"prompt of {len(tokens)} tokens does not fit the context of {self.n_ctx}")
            shared = 0
            for cached, new in zip(self._llm.input_ids[: self._llm.n_tokens], tokens, strict=False):
                if cached != new:
                    break
                shared += 1
            # Evaluate at least the last token so that its logits are fresh.
            self._llm.n_tokens = min(shared, len(tokens) - 1)
            self._llm.eval(tokens[self._llm.n_tokens :])
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self._llm.ctx), shape=(self._llm.n_vocab(),))
            chosen = np.array([logits[t[0]] for t in first_tokens], dtype=np.float64)
        weights = np.exp(chosen - chosen.max())
        return {choice: float(w) for choice, w in zip(choices, weights / weights.sum(), strict=True)}

    def prepare(self, prefixes: Sequence[str]) -> None:
        # The last one stays in the context; the others are restored from their saved states when asked for.
        def evaluate() -> None:
            for prefix in prefixes:
                with self._lock:
                    self._restore_prefix(prefix)

        # On a thread that ends with the call, not the caller's (the main thread, at start-up): a llama.cpp
        # built with OpenMP (CMAKE_ARGS can turn it back on) keeps a team of threads for each thread it
        # computed on, and a team left on the main thread slowed later generation on request threads to 60%
        # (26 against 42 tokens/s).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="enclave-llm-prepare") as worker:
            worker.submit(evaluate).result()

    def _restore_prefix(self, prefix: str) -> None:
        tokens = self._llm.tokenize(prefix.encode("utf-8"), add_bos=True)
        cached = list(self._llm._input_ids[: len(tokens)])
        if cached == tokens:
            return  # the context already starts with this prefix
        state = self._prefix_states.get(prefix)
        if state is None:
            self._llm.reset()
            self._llm.eval(tokens)
            state = self._prefix_states[prefix] = self._llm.save_state()
        else:
            self._llm.load_state(state)
