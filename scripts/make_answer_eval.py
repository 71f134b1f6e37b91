"""Write the answer evaluation's question sets from the sample corpus (tests/data/answers/qa_{en,fr}.jsonl).

Each row is SQuAD-style: ``question``, ``answer`` (the gold answer, verbatim in its context), ``context``
(the first paragraph of a sample document that holds it) and ``title`` (the document and paragraph). The questions
are the sample manifest's facts and the extra ones below, written for this project from the same invented
documents (scripts/make_sample_docs.py); nothing is taken from a public data set.

    python scripts/make_answer_eval.py          # rewrite the two files
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_sample_docs import DOCUMENTS, normalize, source_page_texts

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "answers"

EXTRA: dict[str, list[tuple[str, str]]] = {
    "hr-policy.pdf": [
        ("How many days of annual leave do employees get after five years of service?", "27 days in total"),
        ("From which day of absence is a medical certificate required?", "fourth consecutive day"),
        ("When must remote employees be reachable by phone and chat?", "between 10:00 and 16:00"),
        ("How much is the monthly remote work allowance?", "allowance of 30 EUR"),
        ("How many working days abroad per year are normally approved?", "up to 20 working days"),
        ("How long before parental leave should employees notify HR?", "at least 8 weeks"),
        ("How many days of paid carer's leave can an employee take per year?", "5 days of paid carer's leave"),
        ("What is the hotel cap in London, Paris and Zurich?", "240 EUR per night"),
        ("How much is the daily meal allowance when travelling overnight?", "45 EUR"),
        ("At what rate is mileage for private cars reimbursed?", "0.30 EUR per kilometre"),
    ],
    "vendor-contract.pdf": [
        ("What is the monthly fee of the services agreement?", "18,500 EUR"),
        ("What monthly availability must the monitoring platform reach?", "99.9 percent"),
        ("For how long does the agreement renew automatically after the initial term?", "12 months"),
    ],
    "note-de-service-fr.txt": [
        ("Quelle est la durée minimale de la pause déjeuner ?", "45 minutes minimum"),
        ("Quelles sont les plages fixes du matin où la présence est obligatoire ?", "de 9h30 à 11h30"),
        (
            "Dans quel délai les nouveaux arrivants remettent-ils leur attestation de sécurité sociale ?",
            "dans les 8 jours",
        ),
    ],
    "ticket-1044.txt": [
        ("Au bout de combien de temps un compte verrouillé se débloque-t-il seul ?", "au bout de 15 minutes"),
        ("Combien d'anciens mots de passe ne peuvent pas être repris ?", "5 derniers mots de passe"),
    ],
    "politique-teletravail.pdf": [
        ("Quelle ancienneté faut-il pour pouvoir télétravailler ?", "au moins trois mois d'ancienneté"),
        ("Quel jour la présence sur site est-elle obligatoire ?", "le mardi"),
        ("Quel est le plafond mensuel de l'indemnité de télétravail ?", "22,50 EUR par mois"),
        ("Pendant quelles plages du matin le salarié en télétravail reste-t-il joignable ?", "de 9h30 à 12h00"),
        ("Dans quel délai un accident en télétravail doit-il être déclaré ?", "sous 24 heures"),
        ("Quand la politique de télétravail sera-t-elle réexaminée ?", "le 31 janvier 2025"),
        ("Combien de temps dure la période d'adaptation au télétravail ?", "deux mois"),
    ],
}


def paragraphs(text: str) -> list[str]:
    return [normalize(block) for block in re.split(r"\n\s*\n", text) if block.strip()]


def rows() -> dict[str, list[dict[str, str]]]:
    sets: dict[str, list[dict[str, str]]] = {"en": [], "fr": []}
    for doc in DOCUMENTS:
        blocks = [block for page in source_page_texts(doc) for block in paragraphs(page)]
        questions = [(fact.question, fact.answer_contains) for fact in doc.facts] + EXTRA.get(doc.file, [])
        for question, answer in questions:
            holding = [i for i, block in enumerate(blocks) if normalize(answer) in block]
            if not holding:
                raise SystemExit(f"{doc.file}: {answer!r} is in no paragraph")
            index = holding[0]
            sets[doc.language].append(
                {"question": question, "answer": answer, "context": blocks[index], "title": f"{doc.file} §{index + 1}"}
            )
    return sets


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for language, items in rows().items():
        path = OUT / f"qa_{language}.jsonl"
        path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), "utf-8")
        print(f"wrote {len(items)} questions to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
