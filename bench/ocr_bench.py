"""OCR benchmark: character error rate and pages per second per core on generated scanned pages.

Each page is an A4 sheet of English or French text (with its accents) rendered by Pillow at 200 and 300 dpi,
turned by about a degree and overlaid with Gaussian noise, as a flatbed scan of a printed letter looks. The
product's OCR (``ingest.loading.ocr``: Tesseract, English and French) reads each page; the character error rate
is the edit distance (rapidfuzz's Levenshtein) between what it read and the text that was rendered, over the
length of that text, after runs of white space are made one space on both sides (line breaks are layout, not
content). Tesseract is held to one thread, so pages per second is per core: it is counted from the CPU time the
Tesseract processes used (what other load on the machine does not change), and from the wall clock beside it.
Targets: CER <= 2% at 300 dpi and <= 5% at 200 dpi.

Usage: python -m bench.ocr_bench [--dpi 200 --dpi 300] [--rotation 1.0] [--noise 12] [--save-pages DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from bench.machine import cpu_model
from bench.tables import markdown_table
from ingest.loading.ocr import read_image, tesseract_problem

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
A4_INCHES = (8.27, 11.69)
FONT_POINTS = 11
TEXTS: dict[str, list[str]] = {
    "en": [
        "Minutes of the facilities committee, 14 March. The committee reviewed the heating contract, which expires "
        "on 30 June; the supplier offered a renewal at 4.2% above the current rate. Members asked for two other "
        "quotes before any decision. The lift in building B failed twice in February: the engineer replaced a relay "
        "and the lift has run without fault since. Parking: twelve new bicycle racks will be installed near the "
        "east entrance by the end of April. The next meeting is on Thursday 11 April at 10:00 in room 2.14.",
        "Expense policy, section 3. Hotel costs are refunded up to 150 EUR per night in Paris and London, and up "
        "to 110 EUR elsewhere. Train travel is booked in second class for journeys under four hours. Receipts must "
        "be submitted within 30 days of the trip, scanned or photographed in full, with the amount, the date and "
        "the supplier's name legible. Meals with clients need the names of the guests and the purpose of the "
        "meeting. Claims above 2,000 EUR are approved by the head of department before payment.",
    ],
    "fr": [
        "Procès-verbal du comité d'hygiène, 14 mars. Le comité a examiné le contrat de chauffage, qui arrive à "
        "échéance le 30 juin ; le fournisseur propose un renouvellement à 4,2 % au-dessus du tarif actuel. Les "
        "membres ont demandé deux autres devis avant toute décision. L'ascenseur du bâtiment B est tombé en panne "
        "deux fois en février : le technicien a remplacé un relais et l'appareil fonctionne depuis sans incident. "
        "Douze arceaux à vélos seront installés près de l'entrée est d'ici la fin avril. Prochaine réunion : "
        "jeudi 11 avril à 10 h, salle 2.14.",
        "Politique de remboursement des frais, article 3. Les nuits d'hôtel sont remboursées jusqu'à 150 euros à "
        "Paris et à Lyon, et jusqu'à 110 euros ailleurs. Les trajets en train de moins de quatre heures sont "
        "réservés en seconde classe. Les justificatifs doivent être déposés dans les trente jours suivant le "
        "déplacement, numérisés ou photographiés en entier : le montant, la date et le nom du prestataire doivent "
        "être lisibles. Les repas d'affaires précisent le nom des invités et l'objet de la rencontre. Au-delà de "
        "2 000 euros, la dépense est validée par le chef de service avant paiement. Où est passé le reçu ? Ça dépend.",
    ],
}


@dataclass(frozen=True)
class PageResult:
    language: str
    dpi: int
    characters: int
    errors: int
    seconds: float  # wall clock
    cpu_seconds: float  # of the Tesseract process


def font_file() -> Path:
    """A TrueType font that has the French letters (Debian's fonts-dejavu-core, or matplotlib's copy)."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    # deferred: heavy (matplotlib), only where Debian's fonts are missing
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif.ttf"


def render_page(text: str, dpi: int, rotation: float = 1.0, noise: float = 12.0, seed: int = 0) -> Image.Image:
    """``text`` printed on an A4 page at ``dpi`` and scanned: turned by ``rotation`` degrees, grey noise added."""
    width, height = (round(inches * dpi) for inches in A4_INCHES)
    size = round(FONT_POINTS * dpi / 72)
    font = ImageFont.truetype(str(font_file()), size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = dpi  # one inch
    average = font.getlength("abcdefghijklmnopqrstuvwxyz") / 26
    y = margin
    for line in textwrap.wrap(text, width=int((width - 2 * margin) / average)):
        draw.text((margin, y), line, font=font, fill=0)
        y += round(size * 1.4)
    turned = page.rotate(rotation, resample=Image.Resampling.BICUBIC, fillcolor=255)
    pixels = np.asarray(turned, dtype=np.float32)
    noisy = pixels + np.random.default_rng(seed).normal(0.0, noise, pixels.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), mode="L")


def character_error_rate(reference: str, read: str) -> tuple[int, int]:
    """Edit distance and reference length, both texts with every run of white space made one space."""
    expected, got = " ".join(reference.split()), " ".join(read.split())
    return Levenshtein.distance(expected, got), len(expected)


def run(dpis: list[int], rotation: float, noise: float, save_pages: Path | None) -> list[PageResult]:
    results = []
    for dpi in dpis:
        for language, texts in TEXTS.items():
            for seed, text in enumerate(texts):
                image = render_page(text, dpi, rotation, noise, seed)
                if save_pages is not None:
                    stem = f"{language}-{seed}-{dpi}dpi"
                    image.save(save_pages / f"{stem}.png", dpi=(dpi, dpi))
                    (save_pages / f"{stem}.txt").write_text(text, encoding="utf-8")
                started, cpu_before = time.perf_counter(), _children_cpu()
                read = read_image(image, dpi=dpi, timeout=120.0)
                seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
                errors, characters = character_error_rate(text, read)
                results.append(PageResult(language, dpi, characters, errors, seconds, cpu))
    return results


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def summary_rows(results: list[PageResult]) -> list[list[str]]:
    rows = []
    for dpi in sorted({r.dpi for r in results}):
        for language in [*TEXTS, "all"]:
            chosen = [r for r in results if r.dpi == dpi and language in (r.language, "all")]
            errors, characters = sum(r.errors for r in chosen), sum(r.characters for r in chosen)
            cpu = statistics.fmean(r.cpu_seconds for r in chosen)
            seconds = statistics.fmean(r.seconds for r in chosen)
            cer = f"{100 * errors / characters:.2f}%"
            rows.append([f"{dpi}", language, f"{len(chosen)}", cer, f"{1 / cpu:.2f}", f"{1 / seconds:.2f}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dpi", type=int, action="append", help="Resolutions to scan at (default 200 and 300).")
    parser.add_argument("--rotation", type=float, default=1.0, help="Degrees the page is turned by.")
    parser.add_argument("--noise", type=float, default=12.0, help="Standard deviation of the grey noise (0-255).")
    parser.add_argument("--save-pages", type=Path, help="Write the generated pages and their texts here.")
    args = parser.parse_args(argv)
    problem = tesseract_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.save_pages is not None:
        args.save_pages.mkdir(parents=True, exist_ok=True)
    results = run(args.dpi or [200, 300], args.rotation, args.noise, args.save_pages)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, load average {load}")
    print(f"pages turned by {args.rotation} degrees, grey noise of standard deviation {args.noise}")
    header = ["dpi", "language", "pages", "CER", "pages/s per core (CPU time)", "pages/s (wall clock)"]
    print(markdown_table(header, summary_rows(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
