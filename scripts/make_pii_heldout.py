"""Write the held-out labelled redaction sets tests/data/pii_heldout_{en,fr}.json.

Written by hand for Enclave, independently of the development set in ../shared/data/pii (none of its
templates, names or values): business e-mails, HR notes, support tickets and letters in English and
French, every personal value invented. Values are marked ``[[TYPE|value]]``; this script strips the
marks and writes presidio-research style records (``full_text`` and ``spans`` with character offsets,
end exclusive), which ``enclave eval redaction --dataset FILE`` reads. Numbers that carry a checksum
(cards, IBANs, NIR, SIREN/SIRET) are valid ones, computed here, so that a recognizer that checks them
is fairly tested.

Usage: python scripts/make_pii_heldout.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"
_MARK = re.compile(r"\[\[([A-Z_]+)\|(.+?)\]\]")


def luhn_complete(digits: str) -> str:
    """``digits`` followed by the Luhn check digit that makes the whole valid."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled: these are the odd positions once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return digits + str((10 - total % 10) % 10)


def nir(body13: str) -> str:
    """A French social security number: 13 digits and their key, grouped as written on a card."""
    key = 97 - int(body13) % 97
    full = f"{body13}{key:02d}"
    return f"{full[0]} {full[1:3]} {full[3:5]} {full[5:7]} {full[7:10]} {full[10:13]} {full[13:]}"


def iban(country: str, bban: str) -> str:
    """An IBAN with its check digits, in groups of four."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - number % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


SIREN = luhn_complete("73282932")
SIRET = luhn_complete(SIREN + "0001")
CARD_VISA = luhn_complete("453201511283036")
CARD_MC = luhn_complete("525412345678901")
IBAN_DE = iban("DE", "370400440532013000")
IBAN_FR = iban("FR", "20041010050500013M02606")
IBAN_NL = iban("NL", "ABNA0417164300")
NIR_1 = nir("2840575112345")
NIR_2 = nir("1790369123007")

ENGLISH = [
    "Hi [[PERSON|Tomasz Wierzbicki]], your replacement badge is ready at the front desk.",
    "Please forward the signed contract to [[PERSON|Adaeze Nwankwo]] before Thursday.",
    "The claim was filed by [[PERSON|Siddharth Venkataraman]] on behalf of his mother.",
    "Meeting notes: [[PERSON|Ingrid Halvorsen]] will own the vendor review; "
    "[[PERSON|Rafael Quintero]] drafts the budget.",
    "Dear Ms. [[PERSON|Okonjo]], thank you for your letter of 4 March.",
    "Dr. [[PERSON|Mireille Castonguay]] approved the protocol change for ward 3.",
    "Ticket 8812: customer [[PERSON|Brendan O'Sullivan]] cannot log in after the password reset.",
    "Escalated to [[PERSON|Yuki Tanabe]] (tier 2) because the refund exceeds the agent limit.",
    "Reference letter for [[PERSON|Fatima Zahra Benali]], who worked in our Leeds office for six years.",
    "Thanks,\n[[PERSON|Declan Moriarty]]\nProcurement",
    "Best regards,\n[[PERSON|Leocadia Pereira]]\nPayroll team",
    "Can you ask [[PERSON|Henrik]] whether the laptop order shipped?",
    "Interview panel: [[PERSON|Oluwaseun Adeyemi]], [[PERSON|Camille Fournier]] and [[PERSON|Arjun Mehta]].",
    "The locksmith met [[PERSON|Gwendolyn Marsh]] at the loading dock at 7 am.",
    "Ship the replacement to [[STREET_ADDRESS|4417 Larchmont Avenue, Apt 12B, Columbus, OH 43214]].",
    "Our new office is at [[STREET_ADDRESS|Unit 5, 22 Ropewalk Lane, Bristol BS1 6QT]].",
    "Return the equipment to [[STREET_ADDRESS|1290 Cedar Ridge Road, Boulder, CO 80302]] by Friday.",
    "Tenant address on file: [[STREET_ADDRESS|77 Harbour Street, Apartment 3, Portsmouth PO1 2JE]].",
    "Call me back on [[PHONE_NUMBER|+44 20 7946 0321]] after lunch.",
    "Her mobile is [[PHONE_NUMBER|(415) 555-0187]] and she prefers text messages.",
    "Fax the form to [[PHONE_NUMBER|+1 212-555-0143]] or scan it to the portal.",
    "Emergency contact: [[PHONE_NUMBER|07700 900461]].",
    "Send the invoice to [[EMAIL_ADDRESS|billing.west@lumenharbor.co.uk]] with the PO number.",
    "Reply to [[EMAIL_ADDRESS|r.quintero@fjordline-logistics.com]] to confirm your slot.",
    f"Card ending in the number [[CREDIT_CARD|{' '.join(CARD_VISA[i : i + 4] for i in range(0, 16, 4))}]] "
    "was declined twice.",
    f"Refund to card [[CREDIT_CARD|{CARD_MC}]] approved by finance.",
    f"Wire the deposit to [[IBAN_CODE|{IBAN_DE}]] quoting the booking reference.",
    f"Please update the supplier account to [[IBAN_CODE|{IBAN_NL}]].",
    "Applicant SSN: [[US_SSN|536-22-8714]] (verified by HR).",
    "The failed logins came from [[IP_ADDRESS|203.0.113.77]] and [[IP_ADDRESS|2001:db8:85a3::8a2e:370:7334]].",
    "[[PERSON|Nakamura]] approved the overtime for the weekend shift.",
    "The keynote is by [[PERSON|Anneliese Brandt-Kowalczyk]] from the audit committee.",
    "spoke with [[PERSON|bartholomew reyes]] yesterday about the rota, he is fine with nights",
    "Ask [[PERSON|Priya]] for the spare keys if the office is locked.",
    "Forwarded by [[PERSON|Jean-Baptiste Okafor]] on behalf of [[PERSON|Lucía Fernández]].",
    "Patient [[PERSON|Eleanor Whitcombe]], born 1961, was discharged on Monday.",
    "The quarterly revenue grew 4 percent and the Lyon warehouse opens in May.",
    "Version 2.4.1 fixes the export bug; see release notes 2024-11.",
    "The board meets on the second Tuesday of every month in room 4.12.",
    "Order 55021 shipped with tracking number 1Z999AA10123456784.",
]

FRENCH = [
    "Bonjour [[PERSON|Margaux Delacroix]], votre badge de remplacement est prêt à l'accueil.",
    "Le dossier a été transmis à [[PERSON|Thibault Lemaire]] pour validation.",
    "Merci de rappeler [[PERSON|Yasmina Haddad]] au sujet de son arrêt maladie.",
    "Cordialement,\n[[PERSON|Gaspard Rousseau]]\nService des achats",
    "Compte rendu : [[PERSON|Solène Marchetti]] pilote l'audit, [[PERSON|Karim Belkacem]] prépare le budget.",
    "Livraison à l'adresse [[STREET_ADDRESS|14 rue des Tanneurs, 67000 Strasbourg]].",
    "Le siège déménage au [[STREET_ADDRESS|8 boulevard Gambetta, 38000 Grenoble]] en janvier.",
    "Merci d'envoyer le courrier au [[STREET_ADDRESS|27 avenue Jean Jaurès, 69007 Lyon]].",
    "Vous pouvez me joindre au [[PHONE_NUMBER|06 12 34 56 78]] en journée.",
    "Standard du site : [[PHONE_NUMBER|+33 4 72 10 45 90]].",
    "Numéro de portable : [[PHONE_NUMBER|07.81.22.93.40]].",
    "Écrivez à [[EMAIL_ADDRESS|paie.grenoble@alpinor-industries.fr]] pour toute question.",
    f"Numéro de sécurité sociale du salarié : [[FR_NIR|{NIR_1}]].",
    f"NIR déclaré : [[FR_NIR|{NIR_2}]], à vérifier par la mutuelle.",
    f"Le fournisseur est immatriculé sous le SIREN [[FR_SIREN|{SIREN[:3]} {SIREN[3:6]} {SIREN[6:]}]].",
    f"SIRET de l'établissement : [[FR_SIRET|{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}]].",
    f"Virement à effectuer sur l'IBAN [[IBAN_CODE|{IBAN_FR}]] avant le 15.",
    "[[PERSON|Mme Bouchard]] a signé l'avenant au contrat hier soir.",
    "Réunion reportée : [[PERSON|Anne-Sophie Giraud]] est en congé jusqu'au 12.",
    "La patiente [[PERSON|Odile Ferrand]] sort de l'hôpital lundi.",
    "Le chiffre d'affaires a progressé de 4 % et l'entrepôt de Lyon ouvre en mai.",
    "La réunion du comité a lieu le deuxième mardi du mois en salle 4.12.",
    "La version 2.4.1 corrige le bug d'export signalé en novembre.",
]


def record(marked: str) -> dict[str, object]:
    text = ""
    spans = []
    position = 0
    for match in _MARK.finditer(marked):
        text += marked[position : match.start()]
        start = len(text)
        text += match.group(2)
        spans.append(
            {
                "entity_type": match.group(1),
                "entity_value": match.group(2),
                "start_position": start,
                "end_position": len(text),
            }
        )
        position = match.end()
    text += marked[position:]
    return {"full_text": text, "spans": spans}


def main() -> None:
    for language, records in (("en", ENGLISH), ("fr", FRENCH)):
        path = OUT / f"pii_heldout_{language}.json"
        path.write_text(json.dumps([record(r) for r in records], ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {path} ({len(records)} records)")


if __name__ == "__main__":
    main()
