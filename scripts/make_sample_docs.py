# Document prose is kept one paragraph per source line; the PDF writer reflows it.
# ruff: noqa: E501
"""Generate the Enclave sample corpus and its manifest.

The corpus is the fixture for ingestion, redaction and retrieval tests: every
document carries invented personal data (listed in the manifest under
``personal_values``) and a few checkable facts (``facts``) whose answers are
free of personal data. The manifest lives outside the corpus (it lists the
personal values, so it must never be ingested): tests/data/sample_docs_manifest.json.

Usage:
    python scripts/make_sample_docs.py [--out DIR]          # (re)generate
    python scripts/make_sample_docs.py [--out DIR] --check  # verify only

All names, numbers and addresses below are fictitious. The output is
byte-for-byte deterministic for a given fpdf2 version.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "sample_docs"
DEFAULT_MANIFEST = REPO_ROOT / "tests" / "data" / "sample_docs_manifest.json"
# Fixed so that regenerated PDFs are identical and do not show up as changes.
PDF_DATE = datetime(2024, 3, 1, 9, 0, 0, tzinfo=UTC)
PDF_WORDS_PER_PAGE = (150, 350)

Language = Literal["en", "fr"]


@dataclass(frozen=True)
class Fact:
    question: str
    answer_contains: str
    page: int = 1


@dataclass(frozen=True)
class Document:
    """One sample document.

    ``pages`` holds one text block per PDF page; for every other format it
    holds the complete file content as a single element. In PDF page text,
    blocks are separated by blank lines and a block starting with "## " is a
    heading.

    ``names`` are full names of people; first or last names that also occur on
    their own (e.g. "Ms Lindqvist") are added to the manifest automatically.
    ``identifiers`` are the other personal values (emails, phones, ...).
    """

    file: str
    language: Language
    title: str
    pages: tuple[str, ...]
    names: tuple[str, ...]
    identifiers: tuple[str, ...]
    facts: tuple[Fact, ...]

    @property
    def is_pdf(self) -> bool:
        return self.file.endswith(".pdf")


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

HR_POLICY = Document(
    file="hr-policy.pdf",
    language="en",
    title="Brightwater Systems Ltd - Employee Handbook: Leave, Remote Work and Expenses",
    pages=(
        """## 1. Introduction and Annual Leave

This section of the Employee Handbook sets out the leave, remote work, family and expense rules that apply to all permanent employees of Brightwater Systems Ltd. It replaces version 3.1 of the handbook and takes effect on 1 January 2024. Where local employment law grants a more generous entitlement, local law prevails.

Policy owner: Harriet Lindqvist, HR Director
Email: harriet.lindqvist@example.com
Phone: +1 (555) 014-2231

1.1 Entitlement. Full-time employees receive 25 days of paid annual leave per calendar year, in addition to public holidays. Part-time employees receive a pro-rata entitlement based on their contracted hours. Employees who complete five years of continuous service receive two additional days, giving 27 days in total.

1.2 Booking leave. Leave must be requested through the HR portal at least two weeks in advance for any absence longer than three consecutive working days. Managers should respond within five working days. When team coverage is limited, requests are approved on a first come, first served basis.

1.3 Carry-over. Up to 5 unused days may be carried over into the following year and must be taken before 31 March. Any balance above that limit is forfeited unless the HR Director has approved an exception in writing, for example after an extended period of sick leave.

1.4 Sick leave. Employees who are unwell must inform their manager before 10:00 on the first day of absence. A medical certificate is required from the fourth consecutive day of absence onwards.""",
        """## 2. Remote Work

2.1 Eligibility. Employees whose role can be performed effectively away from the office may work remotely for up to 3 days per week. Remote work requires prior manager approval, recorded in the HR portal before the first remote day. Approval may be withdrawn with two weeks' notice if business needs change, and new joiners work from the office during their first month.

2.2 Core hours. Remote employees must be reachable by phone and chat between 10:00 and 16:00 on working days. They must attend the office in person for team days, which each department schedules at least once per month and announces two weeks ahead.

2.3 Equipment and security. The company provides a laptop, a headset and, on request, one external monitor. Company data may only be accessed over the corporate VPN, and printed confidential documents must not be taken home. Home internet costs are not reimbursed, but employees who work remotely at least two days per week receive a monthly remote work allowance of 30 EUR towards utilities.

2.4 Working abroad. Working from another country requires written approval from HR because of the tax and social security implications. Requests for up to 20 working days per year are normally approved. Questions about cross-border work are handled by Ms Lindqvist and her team through the mobility mailbox listed on the HR portal.

2.5 Health and safety. Employees are responsible for keeping a safe home workspace. A short self-assessment checklist must be completed once a year, and any work-related injury at home must be reported in the same way as an injury in the office.""",
        """## 3. Parental and Family Leave

3.1 Parental leave. Employees who become parents through birth, adoption or surrogacy are entitled to 16 weeks of parental leave at full pay, followed by up to 10 further weeks at 50 percent of base salary. The entitlement is the same for every parent, regardless of gender, and it starts after six months of continuous service.

3.2 Notification. Employees should notify HR at least 8 weeks before the intended start of parental leave, using the family leave form on the HR portal. Leave may be taken in one block or split into a maximum of three blocks within the first 18 months after the birth or adoption.

3.3 Return to work. On return, employees are entitled to the same role or, where this is no longer possible, a role of the same grade and pay. During the first four weeks after returning, employees may work reduced hours at full pay to ease the transition back to work.

3.4 Other family leave. Employees may take up to 5 days of paid carer's leave per year to look after a dependant who is ill or injured. Bereavement leave of 5 days is granted on the death of a close family member, and 2 days for other relatives.

All family leave questions are handled in confidence by the HR business partner for your department.
Contact: Tobias Renner, HR Business Partner
Email: tobias.renner@example.com

Managers must not ask employees to work or remain available during any period of parental or family leave.""",
        """## 4. Travel and Expenses

4.1 Submitting claims. Expense claims must be submitted within 30 days of the date the cost was incurred, through the expenses module of the finance system. Itemised receipts must be attached for every item above 10 EUR. Claims submitted after that deadline are rejected unless Finance grants an exception.

4.2 Accommodation. Hotel accommodation is capped at 180 EUR per night, including breakfast and taxes. In London, Paris and Zurich the cap is raised to 240 EUR per night. Bookings above the cap must be approved in advance by the budget holder.

4.3 Meals. A daily meal allowance of 45 EUR applies when travelling overnight. Alcohol is not reimbursed, except at client entertainment events approved by a director.

4.4 Transport. Economy class must be used for all flights shorter than six hours. Rail travel is preferred for journeys under four hours. Mileage for private cars is reimbursed at 0.30 EUR per kilometre.

4.5 Corporate cards. Employees who travel more than four times a year may request a corporate card. Personal spending on the corporate card is not allowed, and statements must be reconciled by the 5th of each month.

Finance contact: Priya Raghunathan
Email: priya.raghunathan@example.com
Phone: +1 (555) 019-4410

Repeated or deliberate breaches of this expense policy may lead to disciplinary action and to recovery of the amounts paid.""",
    ),
    names=("Harriet Lindqvist", "Tobias Renner", "Priya Raghunathan"),
    identifiers=(
        "harriet.lindqvist@example.com",
        "+1 (555) 014-2231",
        "tobias.renner@example.com",
        "priya.raghunathan@example.com",
        "+1 (555) 019-4410",
    ),
    facts=(
        Fact(
            "How many days of paid annual leave do full-time employees get?",
            "25 days of paid annual leave",
            1,
        ),
        Fact("How many unused leave days can be carried over to the next year?", "Up to 5 unused days", 1),
        Fact("How many days per week can employees work remotely?", "up to 3 days per week", 2),
        Fact("What is required before an employee can work remotely?", "requires prior manager approval", 2),
        Fact("How long is parental leave at full pay?", "16 weeks of parental leave at full pay", 3),
        Fact("Within how many days must expense claims be submitted?", "within 30 days", 4),
        Fact("What is the hotel cap per night?", "180 EUR per night", 4),
    ),
)

VENDOR_CONTRACT = Document(
    file="vendor-contract.pdf",
    language="en",
    title="Master Services Agreement MSA-2024-017",
    pages=(
        """## Master Services Agreement

This Master Services Agreement (the "Agreement") is entered into on 4 March 2024 (the "Effective Date") between the following parties.

Brightwater Systems Ltd, a company registered in England and Wales under number 09876543, whose registered office is at:
418 Larkspur Avenue, Bristol BS1 6QT
(the "Client"); and

Corvane Data Services Ltd, a company registered in England and Wales under number 11223344, whose registered office is at:
27 Kestrel Wharf Road, London E14 9QT
(the "Provider").

## 1. Services

1.1 The Provider shall provide managed data backup, infrastructure monitoring and 24/7 incident response services as described in Schedule 1 (the "Services"). The Provider shall perform the Services with reasonable skill and care and in accordance with good industry practice.

1.2 The Provider shall make the monitoring platform available with a monthly availability of at least 99.9 percent. If availability falls below that level in any month, the Client is entitled to a service credit of 5 percent of the monthly fee for each full 0.1 percent of shortfall, up to a maximum of 25 percent.

## 2. Term

2.1 This Agreement starts on the Effective Date and continues for an initial term of 36 months. It then renews automatically for successive periods of 12 months unless terminated in accordance with clause 8.

2.2 Each party shall appoint a contract manager who will meet the other party's contract manager at least once per quarter to review service performance, open incidents and planned changes.""",
        """## 3. Fees

3.1 In consideration of the Services, the Client shall pay the Provider a fixed monthly fee of 18,500 EUR, exclusive of VAT. Additional work requested by the Client outside the scope of Schedule 1 is charged at the day rates set out in Schedule 2.

3.2 The Provider may increase the fees once per year, with effect from the anniversary of the Effective Date, by no more than the annual change in the consumer price index, and only after giving 60 days' written notice.

## 4. Invoicing and Payment

4.1 The Provider shall invoice the Client monthly in arrears. Payment terms are net 45 days from the date of receipt of a valid invoice. Late payments bear interest at 4 percent per year above the Bank of England base rate.

4.2 All payments shall be made by bank transfer to the following account:
Account name: Corvane Data Services Ltd
IBAN: GB82 WEST 1234 5698 7654 32
BIC: WESTGB2L

## 5. Limitation of Liability

5.1 The total aggregate liability of each party under this Agreement shall not exceed 1,500,000 EUR in any contract year.

5.2 Nothing in this Agreement limits either party's liability for death or personal injury caused by negligence, for fraud, or for any other liability that cannot be limited by law. Neither party is liable for loss of profit, revenue or goodwill.

## 6. Data Protection

6.1 The Provider acts as a processor of personal data on behalf of the Client and shall process it only on the Client's documented instructions.

6.2 The Provider shall notify the Client of any personal data breach within 24 hours of becoming aware of it, and shall assist the Client with any resulting notifications.""",
        """## 7. Confidentiality

Each party shall keep the other party's confidential information secret, use it only for the purposes of this Agreement and disclose it only to employees and advisers who need to know it. This obligation survives termination for five years.

## 8. Termination

8.1 Either party may terminate this Agreement for convenience by giving 90 days' written notice to the other party.

8.2 Either party may terminate this Agreement immediately by written notice if the other party commits a material breach that is not remedied within 30 days of being notified of it, or if the other party becomes insolvent.

8.3 On termination, the Provider shall return all Client data in a commonly used format within 14 days and then securely delete any remaining copies.

## 9. Notices

Notices to the Client: for the attention of Oliver Brandt, oliver.brandt@example.com
Notices to the Provider: for the attention of Sofia Marchetti, sofia.marchetti@example.org

## 10. Governing Law

This Agreement and any dispute arising out of it shall be governed by the laws of England and Wales, and the courts of London shall have exclusive jurisdiction.

Signed for and on behalf of Brightwater Systems Ltd
Name: Oliver Brandt
Title: Chief Operating Officer
Date: 4 March 2024

Signed for and on behalf of Corvane Data Services Ltd
Name: Sofia Marchetti
Title: Managing Director
Date: 4 March 2024""",
    ),
    names=("Oliver Brandt", "Sofia Marchetti"),
    identifiers=(
        "418 Larkspur Avenue",
        "27 Kestrel Wharf Road",
        "GB82 WEST 1234 5698 7654 32",
        "oliver.brandt@example.com",
        "sofia.marchetti@example.org",
    ),
    facts=(
        Fact("What is the initial term of the services agreement?", "initial term of 36 months", 1),
        Fact("What are the payment terms of the vendor contract?", "net 45 days", 2),
        Fact("What is the liability cap in the vendor contract?", "shall not exceed 1,500,000 EUR", 2),
        Fact(
            "How much notice is needed to terminate the vendor contract for convenience?",
            "90 days' written notice",
            3,
        ),
        Fact("Which law governs the vendor contract?", "laws of England and Wales", 3),
    ),
)

POLITIQUE_TELETRAVAIL = Document(
    file="politique-teletravail.pdf",
    language="fr",
    title="Valmorel Industries SAS - Politique de télétravail",
    pages=(
        """## Politique de télétravail

Direction des Ressources Humaines - version 2.0, applicable au 1er février 2024.

## 1. Objet et champ d'application

La présente politique définit les conditions dans lesquelles les salariés de Valmorel Industries SAS peuvent exercer leur activité en télétravail. Elle s'applique à tous les salariés en contrat à durée indéterminée ou déterminée ayant au moins trois mois d'ancienneté, à l'exception des postes dont les missions exigent une présence physique permanente, notamment en production, en logistique et à l'accueil.

## 2. Rythme du télétravail

Le télétravail est limité à 2 jours par semaine maximum, afin de préserver le lien avec les équipes et le collectif de travail. Les jours télétravaillés sont fixés d'un commun accord avec le responsable hiérarchique et ne peuvent pas être reportés d'une semaine sur l'autre. La présence sur site est obligatoire le mardi, jour de la réunion d'équipe hebdomadaire.

## 3. Demande et accord

La demande est formulée par le salarié dans le portail RH. Le responsable hiérarchique dispose d'un délai de 15 jours pour répondre, et tout refus doit être motivé par écrit. Une période d'adaptation de deux mois permet à chacune des parties de mettre fin au télétravail avec un délai de prévenance de 8 jours.

Pour toute question relative à cette politique :
Contact : Camille Dubreuil, responsable RH
Courriel : camille.dubreuil@example.fr
Téléphone : +33 6 42 18 57 93
Adresse : 14 rue des Tanneurs, 69002 Lyon""",
        """## 4. Indemnité et équipement

Chaque journée de télétravail ouvre droit à une indemnité de télétravail de 2,50 EUR par jour, dans la limite de 22,50 EUR par mois. Elle est versée avec le salaire du mois suivant, sur la base des jours déclarés dans le portail RH. L'entreprise fournit un ordinateur portable, un casque et, sur demande, un écran supplémentaire. Les frais de connexion internet restent à la charge du salarié.

## 5. Horaires et droit à la déconnexion

Le salarié en télétravail reste joignable pendant les plages de 9h30 à 12h00 et de 14h00 à 16h30. En dehors de ces plages, il organise librement son temps de travail dans le respect des durées maximales. Aucune réponse aux courriels n'est attendue entre 20h00 et 8h00, ni pendant les week-ends et les congés.

## 6. Sécurité des données

L'accès aux applications de l'entreprise se fait uniquement par le VPN. L'utilisation de réseaux wifi publics est interdite, de même que l'impression de documents confidentiels au domicile. Tout incident de sécurité doit être signalé sans délai au support informatique.

## 7. Accident et assurance

Tout accident survenu pendant les plages de télétravail est présumé être un accident du travail. Il doit être déclaré sous 24 heures auprès de Mme Dubreuil. Le salarié atteste chaque année que son assurance habitation couvre l'exercice d'une activité professionnelle à domicile.

## 8. Révision

Cette politique sera réexaminée avec les représentants du personnel au plus tard le 31 janvier 2025.""",
    ),
    names=("Camille Dubreuil",),
    identifiers=(
        "camille.dubreuil@example.fr",
        "+33 6 42 18 57 93",
        "14 rue des Tanneurs",
    ),
    facts=(
        Fact(
            "Combien de jours de télétravail par semaine sont autorisés au maximum ?",
            "2 jours par semaine maximum",
            1,
        ),
        Fact(
            "De quel délai dispose le responsable pour répondre à une demande de télétravail ?",
            "délai de 15 jours",
            1,
        ),
        Fact("Quel est le montant de l'indemnité de télétravail ?", "2,50 EUR par jour", 2),
        Fact("Pendant quelles heures aucune réponse aux courriels n'est attendue ?", "entre 20h00 et 8h00", 2),
    ),
)

TICKET_1042 = Document(
    file="ticket-1042.eml",
    language="en",
    title="[Ticket #1042] Double charge on invoice INV-2024-00817",
    pages=(
        """Message-ID: <20240311093015.4F2A1042@mail.example.org>
Date: Mon, 11 Mar 2024 09:30:15 +0000
From: Daniel Okafor <daniel.okafor@example.org>
To: Brightwater Billing Support <billing@example.com>
Subject: [Ticket #1042] Double charge on invoice INV-2024-00817
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit

Hello Billing team,

I am writing about invoice INV-2024-00817, dated 1 March 2024, for our Business Plus subscription. The invoice total is 1,249.00 EUR, but my card was charged twice on 5 March 2024, so 2,498.00 EUR in total has left our account.

The payment was made with our company Visa card, number 4111 1111 1111 1111, expiry 09/27. Both transactions show the same reference on the card statement, so this looks like a duplicate capture on your side rather than two separate orders.

Please refund the duplicate charge of 1,249.00 EUR to the same card and send me a corrected statement for March. Our accounts team closes the month on 28 March, so I would be grateful if the refund could be processed before then.

If you need anything else, you can reach me at +1 (555) 017-3388 between 9:00 and 17:00 Eastern time.

Kind regards,
Daniel Okafor
Finance Manager, Larchmont Dental Group
""",
    ),
    names=("Daniel Okafor",),
    identifiers=(
        "daniel.okafor@example.org",
        "4111 1111 1111 1111",
        "+1 (555) 017-3388",
    ),
    facts=(
        Fact("Which invoice was charged twice in ticket 1042?", "INV-2024-00817"),
        Fact("How much was the duplicate charge in ticket 1042?", "duplicate charge of 1,249.00 EUR"),
        Fact("Which subscription does the double-charged invoice cover?", "Business Plus subscription"),
    ),
)

TICKET_1043 = Document(
    file="ticket-1043.eml",
    language="en",
    title="[Ticket #1043] VPN client fails with error 809 after update",
    pages=(
        """Message-ID: <20240312141207.9C1E1043@mail.example.com>
Date: Tue, 12 Mar 2024 14:12:07 +0100
From: Ingrid Solberg <ingrid.solberg@example.com>
To: IT Service Desk <servicedesk@example.com>
Subject: [Ticket #1043] VPN client fails with error 809 after update
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit

Hi Service Desk,

Since the automatic update of the SecureLink VPN client to version 5.2.1 last night, I can no longer connect to the corporate network. Every attempt ends after about 30 seconds with Error 809: "The network connection between your computer and the VPN server could not be established because the remote server is not responding."

Before the update I was on version 5.1.8 and everything worked. I have already restarted the laptop, reinstalled the client from the software portal and tried two different networks (home fibre and a mobile hotspot), with the same result each time.

My public IP address at home is 198.51.100.23, in case you need to check the firewall logs. The laptop is asset tag BW-LT-0456 running Windows 11.

I have a customer presentation on Thursday morning and need access to the shared drives before then, so I would appreciate a quick look.

Thanks,
Ingrid Solberg
Solutions Consultant
""",
    ),
    names=("Ingrid Solberg",),
    identifiers=(
        "ingrid.solberg@example.com",
        "198.51.100.23",
    ),
    facts=(
        Fact("Which error does the VPN client show after the update?", "Error 809"),
        Fact("Which VPN client version introduced the connection failure?", "version 5.2.1"),
        Fact("Which VPN client version worked before the update?", "version 5.1.8"),
    ),
)

TICKET_1044 = Document(
    file="ticket-1044.txt",
    language="fr",
    title="Ticket 1044 - Réinitialisation du mot de passe",
    pages=(
        """TICKET N° 1044
Date d'ouverture : 13/03/2024 08:47
Catégorie : Compte utilisateur / mot de passe
Priorité : Normale
Statut : Résolu

Demandeur : Élodie Garnier
Courriel : elodie.garnier@example.fr
Service : Comptabilité fournisseurs

--- Description ---
Bonjour,

Depuis ce matin, je ne parviens plus à me connecter au portail fournisseurs. Après 5 tentatives infructueuses, mon compte a été verrouillé. J'ai demandé une réinitialisation du mot de passe, mais le lien reçu par courriel indique qu'il a expiré alors que je l'ai ouvert moins d'une heure plus tard.

Je dois valider les factures du mois avant vendredi, pouvez-vous débloquer mon accès rapidement ?

Merci d'avance,
Élodie Garnier

--- Réponse du support (13/03/2024 09:20) ---
Bonjour Madame Garnier,

Votre compte a été déverrouillé. Pour des raisons de sécurité, le lien de réinitialisation est valable 30 minutes seulement ; un nouveau lien vient de vous être envoyé. Le nouveau mot de passe doit comporter au moins 12 caractères, dont un chiffre et un caractère spécial, et ne peut pas reprendre l'un des 5 derniers mots de passe.

Le compte est verrouillé automatiquement après 5 tentatives infructueuses et se débloque seul au bout de 15 minutes.

Cordialement,
Le support informatique
""",
    ),
    names=("Élodie Garnier",),
    identifiers=("elodie.garnier@example.fr",),
    facts=(
        Fact(
            "Après combien de tentatives infructueuses le compte est-il verrouillé ?",
            "5 tentatives infructueuses",
        ),
        Fact("Combien de temps le lien de réinitialisation est-il valable ?", "valable 30 minutes"),
        Fact("Quelle est la longueur minimale du nouveau mot de passe ?", "au moins 12 caractères"),
    ),
)

PROCEDURE_BACKUP = Document(
    file="procedure-backup.md",
    language="en",
    title="Procedure: Nightly Backup and Restore",
    pages=(
        """# Procedure: Nightly Backup and Restore

Owner: Infrastructure Operations
Last reviewed: 2024-02-20
Applies to: production databases, file shares and the document store

## 1. Schedule

- The full nightly backup starts at 01:30 (Europe/Dublin time) every day.
- Incremental snapshots of the databases are taken every 4 hours during the day.
- Backups are written to the primary backup appliance and replicated to the secondary site within 2 hours.

## 2. Retention

Nightly backups are retained for 35 days. The backup taken on the first day of each month is kept for 12 months. Expired backups are deleted automatically by the retention job; manual deletion is not allowed.

## 3. Monitoring

1. Check the backup dashboard every morning before 09:00.
2. A failed or incomplete job must be re-run the same day and logged in the operations journal.
3. Two consecutive failures of the same job are a major incident and must be escalated to the on-call engineer.

## 4. Restore testing

A restore test is performed quarterly. Each test restores one production database and a sample of 100 files into the isolated recovery environment, and the result is recorded in the audit register. The target restore time for a single database is 4 hours.

## 5. Escalation

- On-call engineer: Marcus Feldmann, +1 (555) 012-7764
- Backup lead: Yusuf Demir, yusuf.demir@example.com

If Feldmann cannot be reached within 15 minutes, call the backup lead.
""",
    ),
    names=("Marcus Feldmann", "Yusuf Demir"),
    identifiers=("+1 (555) 012-7764", "yusuf.demir@example.com"),
    facts=(
        Fact("At what time does the nightly backup start?", "starts at 01:30"),
        Fact("How long are nightly backups retained?", "retained for 35 days"),
        Fact("How often is a restore test performed?", "performed quarterly"),
    ),
)

INCIDENT_REPORT = Document(
    file="incident-report-2024-03.md",
    language="en",
    title="Incident Report INC-2024-0314: Payments API outage",
    pages=(
        """# Incident Report INC-2024-0314: Payments API outage

| Field | Value |
|---|---|
| Date | 2024-03-14 |
| Duration | 47 minutes (10:02 to 10:49 UTC) |
| Severity | SEV-1 |
| Incident commander | Aisha Karimova |
| Responders | Tomasz Wieczorek (platform engineering), Grace Holloway (payments team) |

## Summary

On 2024-03-14 the payments API was unavailable for 47 minutes. All card and bank transfer payments initiated through the web shop and the mobile app failed during that window. About 3,200 payment attempts were rejected; customers were able to retry successfully after service was restored.

## Root cause

The root cause was an expired TLS certificate on the payments API load balancer. The certificate expired at 10:00 UTC. The automatic renewal job had been failing silently since 2024-02-12 because its DNS validation record had been removed during a DNS zone clean-up, and the expiry alert was routed to a mailbox that nobody monitors.

## Timeline (UTC)

- 10:02 Synthetic checks report TLS handshake failures on the payments API.
- 10:09 Karimova declares a SEV-1 incident and opens the incident channel.
- 10:31 Wieczorek identifies the expired certificate on the load balancer.
- 10:44 A new certificate is issued manually and deployed.
- 10:49 Error rates return to normal; Holloway confirms that payments succeed.

## Action items

1. Restore the DNS validation record and re-enable automatic renewal (done).
2. Alert on certificates expiring within 21 days through the paging system, not email.
3. Add certificate expiry to the weekly platform health review.
""",
    ),
    names=("Aisha Karimova", "Tomasz Wieczorek", "Grace Holloway"),
    identifiers=(),
    facts=(
        Fact("How long did the payments API outage on 2024-03-14 last?", "47 minutes"),
        Fact("What was the root cause of the payments API outage?", "expired TLS certificate"),
        Fact("How many payment attempts were rejected during the outage?", "About 3,200 payment attempts"),
    ),
)

ONBOARDING = Document(
    file="onboarding.html",
    language="en",
    title="IT Onboarding Guide - Brightwater Systems",
    pages=(
        """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>IT Onboarding Guide - Brightwater Systems</title>
<style>
  body { font-family: Arial, sans-serif; max-width: 48rem; margin: 2rem auto; }
  .note { color: #555555; font-size: 0.9rem; }
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function trackOnboardingView() {
    window.dataLayer.push({ event: "onboarding_page_view", section: "it-setup" });
  }
  document.addEventListener("DOMContentLoaded", trackOnboardingView);
</script>
</head>
<body>
<h1>IT Onboarding</h1>
<p>Welcome to Brightwater Systems. This page lists everything IT does to get you working on your first day, and what we need from you.</p>

<h2>Your first day</h2>
<ul>
  <li>Your laptop is issued on day one at the IT desk on the second floor. Please bring a photo ID.</li>
  <li>Multi-factor authentication (MFA) is required for all accounts. You enrol your phone in the authenticator app during the laptop handover.</li>
  <li>A badge photo is taken at reception before 10:00; your access badge is ready the same afternoon.</li>
  <li>Your temporary password expires after 24 hours and must be changed at first login.</li>
</ul>

<h2>Your first week</h2>
<ol>
  <li>Complete the security awareness training within 5 working days.</li>
  <li>Read the acceptable use policy and accept it in the HR portal.</li>
  <li>Request access to team drives through the service portal; approvals take up to 2 working days.</li>
</ol>

<h2>Contact</h2>
<p>IT onboarding contact: Rafael Domingues, <a href="mailto:rafael.domingues@example.com">rafael.domingues@example.com</a></p>
<p class="note">Lost or stolen equipment must be reported to the service desk immediately.</p>
</body>
</html>
""",
    ),
    names=("Rafael Domingues",),
    identifiers=("rafael.domingues@example.com",),
    facts=(
        Fact("When are new employees given their laptop?", "laptop is issued on day one"),
        Fact(
            "Is multi-factor authentication required for new accounts?",
            "Multi-factor authentication (MFA) is required",
        ),
        Fact("Where is the badge photo taken?", "badge photo is taken at reception"),
    ),
)

NOTE_DE_SERVICE = Document(
    file="note-de-service-fr.txt",
    language="fr",
    title="Note de service n° 2024-07",
    pages=(
        """NOTE DE SERVICE N° 2024-07

Objet : horaires, restaurant d'entreprise et pièces administratives
De : Hélène Marchand, directrice du site de Villeurbanne (helene.marchand@example.fr)
À : l'ensemble du personnel du site
Date : 18 mars 2024
Établissement : Valmorel Industries SAS, SIRET 418 573 028 00010

1. Horaires

À compter du 2 avril 2024, les horaires du site sont fixés de 8h30 à 17h30 du lundi au vendredi. La pause déjeuner est de 45 minutes minimum. Les plages fixes, pendant lesquelles la présence de chacun est obligatoire, vont de 9h30 à 11h30 et de 14h00 à 16h00.

2. Restaurant d'entreprise

La cantine est ouverte de 11h45 à 13h45. Le prix du repas est de 4,20 EUR après participation de l'employeur. Les badges de cantine sont rechargeables à l'accueil ou en ligne. Merci de libérer les tables avant 13h45 afin de permettre le nettoyage.

3. Pièces administratives

Les nouveaux arrivants doivent remettre leur attestation de sécurité sociale au service du personnel dans les 8 jours suivant leur arrivée. Ce mois-ci, le dossier de M. Bastien Lefort (numéro de sécurité sociale 1 85 05 78 006 084 91) est incomplet : il manque le RIB et l'attestation de mutuelle. Merci à M. Lefort de transmettre ces pièces avant le 29 mars.

Pour toute question, adressez-vous à Mme Marchand.

La directrice du site,
Hélène Marchand
""",
    ),
    names=("Hélène Marchand", "Bastien Lefort"),
    identifiers=(
        "helene.marchand@example.fr",
        "1 85 05 78 006 084 91",
        "418 573 028 00010",
    ),
    facts=(
        Fact("Quels sont les horaires du site à compter du 2 avril 2024 ?", "de 8h30 à 17h30"),
        Fact("Quand la cantine est-elle ouverte ?", "de 11h45 à 13h45"),
        Fact("Quel est le prix du repas à la cantine ?", "4,20 EUR"),
    ),
)

DOCUMENTS: tuple[Document, ...] = (
    HR_POLICY,
    VENDOR_CONTRACT,
    POLITIQUE_TELETRAVAIL,
    TICKET_1042,
    TICKET_1043,
    TICKET_1044,
    PROCEDURE_BACKUP,
    INCIDENT_REPORT,
    ONBOARDING,
    NOTE_DE_SERVICE,
)


# --------------------------------------------------------------------------
# Text helpers shared by generation and checking
# --------------------------------------------------------------------------


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def normalize_lines(text: str) -> str:
    """Collapse whitespace but keep line breaks."""
    return re.sub(r"[^\S\n]+", " ", text)


class _VisibleTextParser(HTMLParser):
    """Collects the text a browser would render (plus <title>)."""

    _HIDDEN = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden_depth = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.chunks.append(data)


def html_visible_text(html: str) -> str:
    parser = _VisibleTextParser()
    parser.feed(html)
    parser.close()
    return " ".join(parser.chunks)


def eml_text(raw: bytes) -> str:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    headers = [f"{name}: {message[name]}" for name in ("Subject", "From", "To", "Date") if message[name]]
    body = message.get_body(preferencelist=("plain",))
    content = body.get_content() if body is not None else ""
    return "\n".join(headers) + "\n\n" + content


def source_page_texts(doc: Document) -> list[str]:
    """Text of each page as a reader would see it, derived from the source."""
    if doc.file.endswith(".html"):
        return [html_visible_text(doc.pages[0])]
    if doc.file.endswith(".eml"):
        return [eml_text(doc.pages[0].encode("utf-8"))]
    if doc.is_pdf:
        return [page.replace("## ", "") for page in doc.pages]
    return [doc.pages[0]]


def standalone_name_parts(text: str, doc: Document) -> list[str]:
    """First/last names that occur outside the full names and identifiers."""
    masked = text
    for value in sorted(doc.names + doc.identifiers, key=len, reverse=True):
        masked = masked.replace(value, " ")
    parts: list[str] = []
    for name in doc.names:
        for part in name.split():
            if part in parts:
                continue
            if re.search(rf"(?<![\w@.-]){re.escape(part)}(?![\w@-])", masked):
                parts.append(part)
    return parts


def personal_values(doc: Document) -> list[str]:
    text = normalize(" ".join(source_page_texts(doc)))
    return [*doc.names, *standalone_name_parts(text, doc), *doc.identifiers]


def manifest() -> dict[str, object]:
    return {
        "documents": [
            {
                "file": doc.file,
                "language": doc.language,
                "pages": len(doc.pages) if doc.is_pdf else 1,
                "personal_values": personal_values(doc),
                "facts": [
                    {"question": f.question, "answer_contains": f.answer_contains, "page": f.page} for f in doc.facts
                ],
            }
            for doc in DOCUMENTS
        ]
    }


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def write_pdf(doc: Document, path: Path) -> None:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(doc.title)
    pdf.set_lang(doc.language)
    total = len(doc.pages)

    for number, page in enumerate(doc.pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 5, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        for block in page.split("\n\n"):
            if block.startswith("## "):
                pdf.set_font("Helvetica", "B", 13)
                pdf.multi_cell(0, 7, block[3:], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1)
            else:
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, 5.2, block, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(3)
        # One source page must stay one PDF page: facts are tied to page numbers.
        if pdf.page != number:
            raise RuntimeError(f"{doc.file}: page {number} overflowed onto page {pdf.page}")
        # The footer sits inside the bottom margin, where auto page break would fire.
        pdf.set_auto_page_break(auto=False)
        pdf.set_y(-15)
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 5, f"Page {number} / {total}", align="C")
        pdf.set_auto_page_break(auto=True, margin=20)

    pdf.output(str(path))


def write_document(doc: Document, out: Path) -> None:
    if doc.is_pdf:
        for page in doc.pages:
            # Core PDF fonts only cover latin-1; fail here rather than with an
            # obscure fpdf2 error or a silently replaced character.
            page.encode("latin-1")
        write_pdf(doc, out / doc.file)
    else:
        (out / doc.file).write_text(doc.pages[0], encoding="utf-8", newline="\n")


def generate(out: Path, manifest_path: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for doc in DOCUMENTS:
        write_document(doc, out)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(
        json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------


def extracted_page_texts(path: Path) -> list[str]:
    """Text of each page as extracted from the file on disk."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(path).pages]
    if path.suffix == ".eml":
        return [eml_text(path.read_bytes())]
    if path.suffix == ".html":
        return [html_visible_text(path.read_text(encoding="utf-8"))]
    return [path.read_text(encoding="utf-8")]


def check_document(entry: dict[str, Any], out: Path) -> list[str]:
    file = str(entry["file"])
    path = out / file
    if not path.is_file():
        return [f"{file}: missing"]
    errors: list[str] = []
    raw_pages = extracted_page_texts(path)
    pages = [normalize(text) for text in raw_pages]
    whole = " ".join(pages)
    # Stricter than required: values split by a line break are easy to miss
    # for line-oriented redaction or naive substring tests downstream.
    lined_pages = [normalize_lines(text) for text in raw_pages]
    lined_whole = "\n".join(lined_pages)

    if len(pages) != entry["pages"]:
        errors.append(f"{file}: {len(pages)} pages, manifest says {entry['pages']}")
    if path.suffix == ".pdf":
        low, high = PDF_WORDS_PER_PAGE
        for number, text in enumerate(pages, start=1):
            words = len(text.split())
            if not low <= words <= high:
                errors.append(f"{file}: page {number} has {words} words, expected {low}-{high}")

    values = [str(v) for v in entry["personal_values"]]
    for value in values:
        if normalize(value) not in whole:
            errors.append(f"{file}: personal value {value!r} not found in extracted text")
        elif value not in lined_whole:
            errors.append(f"{file}: personal value {value!r} is split across lines")

    for fact in entry["facts"]:
        answer, page = normalize(fact["answer_contains"]), fact["page"]
        if not 1 <= page <= len(pages):
            errors.append(f"{file}: fact {answer!r} refers to missing page {page}")
        elif answer not in pages[page - 1]:
            errors.append(f"{file}: answer {answer!r} not found on page {page}")
        elif answer not in lined_pages[page - 1]:
            errors.append(f"{file}: answer {answer!r} is split across lines on page {page}")
        leaked = [v for v in values if v.casefold() in answer.casefold()]
        if leaked:
            errors.append(f"{file}: answer {answer!r} contains personal data {leaked}")
    return errors


def check(out: Path, manifest_path: Path) -> list[str]:
    if not manifest_path.is_file():
        return [f"{manifest_path}: missing"]
    on_disk = json.loads(manifest_path.read_text(encoding="utf-8"))
    errors: list[str] = []
    if on_disk != manifest():
        errors.append(f"{manifest_path} is out of date; rerun without --check")
    for entry in on_disk["documents"]:
        errors.extend(check_document(entry, out))
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="verify the corpus in --out instead of writing it")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="manifest file (default: %(default)s)")
    args = parser.parse_args(argv)

    if not args.check:
        generate(args.out, args.manifest)
        print(f"wrote {len(DOCUMENTS)} documents to {args.out} and the manifest to {args.manifest}")
        return 0

    errors = check(args.out, args.manifest)
    for error in errors:
        print(f"FAIL {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"OK: {len(DOCUMENTS)} documents in {args.out} match {args.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
