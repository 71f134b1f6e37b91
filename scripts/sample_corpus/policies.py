# Document prose is kept one paragraph per source line; the PDF writer reflows it.
# ruff: noqa: E501
"""Policy and contract documents, written as multi-page PDFs.

All names, numbers and addresses are fictitious.
"""

from __future__ import annotations

from sample_corpus.model import Document, Fact

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
