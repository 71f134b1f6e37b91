"""Sentence templates of the benchmark corpus: five kinds of business document, in English and French.

Fields in braces are filled by ``bench.corpus_values``: people (``person``, ``first``, ``last``, ``title``,
``email``, ``phone``, and ``person2``/``email2``/``phone2``, ``person3``), ``iban``, ``address``,
``company``, ``company2``, ``city``, ``dept``, ``date``, ``date2``, ``amount``, ``number``, ``pct``,
``hour``, ``minute``, ``day``, ``ref``, ``ticket``, and the per-document ``subject``, ``system``,
``priority``, ``severity`` and ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("hr", "contract", "ticket", "incident", "minutes")


@dataclass(frozen=True)
class KindTemplates:
    title: str
    header: tuple[str, ...]
    body: tuple[str, ...]
    headings: tuple[str, ...]
    closing: str


# Per-document picks, by language: what a memo is about, which system failed, and so on.
SUBJECTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("hr", "en"): (
        "updated parental leave policy",
        "annual performance reviews",
        "remote work allowance",
        "payroll calendar changes",
        "health insurance renewal",
        "onboarding of new starters",
    ),
    ("hr", "fr"): (
        "nouvelle politique de télétravail",
        "entretiens annuels d'évaluation",
        "calendrier de paie",
        "renouvellement de la mutuelle",
        "accueil des nouveaux arrivants",
        "congés d'été",
    ),
    ("ticket", "en"): (
        "cannot access the expense portal",
        "invoice shows the wrong amount",
        "password reset email never arrives",
        "VPN disconnects every few minutes",
        "order delivered to the wrong address",
        "duplicate charge on my card",
    ),
    ("ticket", "fr"): (
        "impossible d'accéder au portail des notes de frais",
        "facture erronée",
        "le courriel de réinitialisation n'arrive pas",
        "le VPN se déconnecte sans cesse",
        "colis livré à la mauvaise adresse",
        "double prélèvement sur ma carte",
    ),
    ("minutes", "en"): (
        "project steering committee",
        "weekly operations",
        "budget review",
        "works council",
        "product roadmap",
    ),
    ("minutes", "fr"): (
        "du comité de pilotage",
        "d'exploitation hebdomadaire",
        "de revue budgétaire",
        "du comité social et économique",
    ),
}

POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "system": ("payroll service", "customer portal", "VPN gateway", "email relay", "order database", "file server"),
        "dept": ("Finance", "Sales", "Customer Support", "Engineering", "Logistics", "Legal"),
        "priority": ("low", "normal", "high", "urgent"),
        "severity": ("SEV-1", "SEV-2", "SEV-3"),
        "status": ("resolved", "pending customer", "in progress", "escalated"),
    },
    "fr": {
        "system": ("service de paie", "portail client", "VPN", "serveur de messagerie", "serveur de fichiers"),
        "dept": ("Comptabilité", "Ventes", "Support client", "Informatique", "Logistique", "Juridique"),
        "priority": ("basse", "normale", "haute", "urgente"),
        "severity": ("critique", "majeure", "mineure"),
        "status": ("résolu", "en attente du client", "en cours", "escaladé"),
    },
}

TEMPLATES: dict[tuple[str, str], KindTemplates] = {
    ("hr", "en"): KindTemplates(
        title="HR memo: {subject}",
        header=(
            "To: All staff, {dept} department",
            "From: {person}, Human Resources",
            "Date: {date}",
            "Subject: {subject}",
        ),
        body=(
            "As of {date}, the policy applies to every employee on a permanent contract, including those on probation.",
            "Questions about eligibility should be sent to {person} at {email} or by phone on {phone}.",
            "Employees who moved house this year must update their address in the HR portal; {person2}, for "
            "example, now lives at {address}.",
            "Salaries are paid to the account on file, so if your bank details changed, send the new IBAN (such as "
            "{iban}) before the {day} of the month.",
            "{person2} from the {dept} team will run {number} information sessions in the {city} office.",
            "Managers must complete the review form for each direct report by {date2}, and {title} {last} will "
            "check that every form is signed.",
            "The allowance is {amount} per month, paid with the regular salary and subject to the usual deductions.",
            "Absence records older than {number} years are archived and can be requested from HR.",
            "This memo replaces the version circulated on {date2}; the changes are marked in the appendix.",
            "If you have concerns you prefer not to raise with your manager, contact {person3} in confidence.",
            "Part-time staff receive the benefit pro rata to their contracted hours.",
            "The works council was consulted on {date2} and gave a favourable opinion on the proposal.",
            "New starters should send a copy of their ID and their emergency contact to {email2} before day one.",
            "The reimbursement request must include receipts and the approval of your line manager.",
        ),
        headings=("Background", "What changes", "Who is affected", "Timeline", "Contacts", "Questions and answers"),
        closing="Kind regards,\n{person}\nHR Business Partner, {company}\n{phone}",
    ),
    ("hr", "fr"): KindTemplates(
        title="Note de service : {subject}",
        header=(
            "Destinataires : ensemble du personnel, service {dept}",
            "Émetteur : {person}, Ressources humaines",
            "Date : {date}",
            "Objet : {subject}",
        ),
        body=(
            "À compter du {date}, ces dispositions s'appliquent à tous les salariés en contrat à durée indéterminée.",
            "Pour toute question, contactez {person} à l'adresse {email} ou au {phone}.",
            "Les salariés ayant déménagé doivent mettre à jour leur adresse dans le portail RH ; {person2}, par "
            "exemple, habite désormais {address}.",
            "Le salaire est versé sur le compte figurant au dossier ; tout changement d'IBAN (par exemple {iban}) "
            "doit être signalé avant le {day} du mois.",
            "{person2} animera {number} réunions d'information dans nos locaux de {city}.",
            "Les managers remettront les formulaires d'évaluation avant le {date2} ; {title} {last} vérifiera qu'ils "
            "sont tous signés.",
            "L'indemnité s'élève à {amount} par mois et sera versée avec le salaire.",
            "Le comité social et économique a été consulté le {date2} et a rendu un avis favorable.",
            "Les salariés à temps partiel bénéficient de la mesure au prorata de leur temps de travail.",
            "En cas de difficulté, vous pouvez contacter {person3} en toute confidentialité.",
            "Les nouveaux arrivants enverront une copie de leur pièce d'identité à {email2} avant leur arrivée.",
            "La présente note remplace celle diffusée le {date2} ; les modifications figurent en annexe.",
        ),
        headings=("Contexte", "Ce qui change", "Personnes concernées", "Calendrier", "Contacts"),
        closing="Cordialement,\n{person}\nResponsable des ressources humaines, {company}\n{phone}",
    ),
    ("contract", "en"): KindTemplates(
        title="Service agreement between {company} and {company2}",
        header=(
            "Contract reference: {ref}",
            "Effective date: {date}",
            "Supplier: {company2}, {address}",
            "Customer: {company}, represented by {person}",
        ),
        body=(
            "The Supplier shall provide the services described in Schedule {number} with reasonable skill and care.",
            "Invoices are payable within {number} days of receipt by bank transfer to account {iban}.",
            "The total fee for the initial term is {amount}, exclusive of VAT.",
            "Either party may terminate this agreement by giving {number} months' written notice to the other party.",
            "Notices shall be sent to {person2} at {address} or by email to {email2}.",
            "The Customer's contract manager is {person}, who can be reached on {phone}.",
            "Each party shall keep confidential all information disclosed by the other party under this agreement.",
            "The Supplier's liability for any single claim shall not exceed {amount}.",
            "Personal data processed on behalf of the Customer shall be handled under the data processing addendum.",
            "Any change to the scope of services must be agreed in writing by authorised representatives of both "
            "parties.",
            "Service credits apply when availability falls below {pct}% in any calendar month.",
            "The Supplier shall name a service manager; at the date of signature this is {person3}.",
            "Neither party shall be liable for delays caused by events beyond its reasonable control.",
        ),
        headings=(
            "1. Definitions",
            "2. Services",
            "3. Fees and payment",
            "4. Term and termination",
            "5. Confidentiality",
            "6. Liability",
            "7. Notices",
            "8. General",
        ),
        closing="Signed for and on behalf of {company}: {person}\nSigned for and on behalf of {company2}: {person2}",
    ),
    ("contract", "fr"): KindTemplates(
        title="Contrat de prestation de services entre {company} et {company2}",
        header=(
            "Référence du contrat : {ref}",
            "Date d'effet : {date}",
            "Prestataire : {company2}, {address}",
            "Client : {company}, représentée par {person}",
        ),
        body=(
            "Le Prestataire s'engage à fournir les services décrits à l'annexe {number} avec tout le soin requis.",
            "Les factures sont payables à {number} jours par virement sur le compte {iban}.",
            "Le montant total de la prestation pour la durée initiale s'élève à {amount} hors taxes.",
            "Chaque partie peut résilier le contrat moyennant un préavis écrit de {number} mois.",
            "Toute notification est adressée à {person2}, {address}, ou par courriel à {email2}.",
            "Le responsable du contrat pour le Client est {person}, joignable au {phone}.",
            "Les parties s'engagent à garder confidentielles les informations échangées au titre du présent contrat.",
            "La responsabilité du Prestataire est limitée à {amount} par sinistre.",
            "Les données personnelles traitées pour le compte du Client le sont conformément au RGPD.",
            "Toute modification du périmètre fait l'objet d'un avenant signé par les deux parties.",
            "Des pénalités s'appliquent lorsque la disponibilité mensuelle est inférieure à {pct} %.",
        ),
        headings=(
            "Article 1 - Objet",
            "Article 2 - Prestations",
            "Article 3 - Prix et paiement",
            "Article 4 - Durée et résiliation",
            "Article 5 - Confidentialité",
            "Article 6 - Responsabilité",
        ),
        closing="Fait à {city}, le {date2}.\nPour {company} : {person}\nPour {company2} : {person2}",
    ),
    ("ticket", "en"): KindTemplates(
        title="Support ticket #{ticket}: {subject}",
        header=(
            "Ticket: #{ticket}",
            "Opened: {date}",
            "Customer: {person} <{email}>",
            "Priority: {priority}",
            "Assigned to: {person2}",
        ),
        body=(
            "Customer reports that the problem started on {date} after the latest update.",
            "{first} called from {phone} and asked for a call back before {hour}:00.",
            "The shipping address on the account is {address}, which matches the delivery note.",
            "Refund of {amount} requested to IBAN {iban}; finance needs to approve it first.",
            "I reproduced the issue on a test account and attached the logs to this ticket.",
            "Escalated to second-level support; {person2} will follow up by email at {email2}.",
            "The customer confirmed that clearing the browser cache did not help.",
            "Workaround provided: use the mobile app until the fix is deployed.",
            "Waiting for the customer to send a screenshot of the error message.",
            "Ticket linked to problem record PRB-{ticket}, which affects {number} other customers.",
            "{title} {last} asked us to close the ticket once the fix is confirmed.",
            "Second call from {phone2}: {person3} from the same company reports the same symptoms.",
        ),
        headings=("Description", "Steps taken", "Customer contact", "Resolution"),
        closing="Status: {status}. Next update due {date2}.",
    ),
    ("ticket", "fr"): KindTemplates(
        title="Ticket n° {ticket} : {subject}",
        header=(
            "Ticket : n° {ticket}",
            "Ouvert le : {date}",
            "Client : {person} <{email}>",
            "Priorité : {priority}",
            "Attribué à : {person2}",
        ),
        body=(
            "Le client signale que le problème a commencé le {date} après la dernière mise à jour.",
            "{first} a appelé depuis le {phone} et souhaite être rappelé avant {hour} h.",
            "L'adresse de livraison du compte est {address}, conforme au bon de livraison.",
            "Remboursement de {amount} demandé sur l'IBAN {iban} ; la comptabilité doit d'abord le valider.",
            "J'ai reproduit le problème sur un compte de test et joint les journaux au ticket.",
            "Escaladé au support de niveau 2 ; {person2} fera le suivi par courriel ({email2}).",
            "Le client confirme que vider le cache du navigateur n'a rien changé.",
            "Contournement proposé : utiliser l'application mobile en attendant le correctif.",
            "{title} {last} demande la clôture du ticket dès que le correctif sera confirmé.",
            "Nouvel appel du {phone2} : {person3}, de la même société, signale les mêmes symptômes.",
        ),
        headings=("Description", "Actions menées", "Contact client", "Résolution"),
        closing="Statut : {status}. Prochaine mise à jour le {date2}.",
    ),
    ("incident", "en"): KindTemplates(
        title="Incident report {ref}: {system} outage",
        header=(
            "Incident ID: INC-{ticket}",
            "Severity: {severity}",
            "Detected: {date} at {hour}:{minute}",
            "Incident manager: {person}",
            "Reported by: {person2} ({email2})",
        ),
        body=(
            "At {hour}:{minute} monitoring raised an alert on the {system}, and on-call engineer {person2} "
            "acknowledged it within {number} minutes.",
            "Users in the {city} office could not reach the {system} for about {number} minutes.",
            "The root cause was an expired TLS certificate on the load balancer in front of the {system}.",
            "A configuration change deployed the previous evening had exhausted the database connection pool.",
            "Customer data was not exposed, but {number} payment files were delayed until the next batch.",
            "{person3} rolled back the change and service was restored at {hour}:{minute}.",
            "The customer contact for affected accounts is {person}, phone {phone}.",
            "Action: add certificate expiry checks to monitoring (owner: {person2}, due {date2}).",
            "Action: document the rollback procedure and rehearse it every quarter (owner: {person3}).",
            "The incident was reported to the data protection officer at {email} as a precaution.",
            "Timeline entries are in UTC; the on-call rota is kept in the operations wiki.",
            "{title} {last} confirmed that no backup job ran during the outage window.",
        ),
        headings=("Summary", "Impact", "Timeline", "Root cause", "Actions", "Lessons learned"),
        closing="Report prepared by {person}, {date2}.",
    ),
    ("incident", "fr"): KindTemplates(
        title="Rapport d'incident {ref} : panne du {system}",
        header=(
            "Identifiant : INC-{ticket}",
            "Gravité : {severity}",
            "Détecté le : {date} à {hour}:{minute}",
            "Responsable de l'incident : {person}",
            "Signalé par : {person2} ({email2})",
        ),
        body=(
            "À {hour}:{minute}, la supervision a levé une alerte sur le {system} ; {person2}, d'astreinte, l'a "
            "prise en compte en {number} minutes.",
            "Les utilisateurs du site de {city} n'ont pas pu accéder au {system} pendant environ {number} minutes.",
            "La cause racine est un certificat TLS expiré sur le répartiteur de charge.",
            "Aucune donnée client n'a été exposée, mais {number} fichiers de paiement ont été retardés.",
            "{person3} a annulé la modification et le service a été rétabli à {hour}:{minute}.",
            "Le contact pour les comptes concernés est {person}, téléphone {phone}.",
            "Action : ajouter une alerte sur l'expiration des certificats (responsable : {person2}, échéance {date2}).",
            "L'incident a été signalé par précaution au délégué à la protection des données ({email}).",
            "{title} {last} confirme qu'aucune sauvegarde n'a tourné pendant la panne.",
        ),
        headings=("Résumé", "Impact", "Chronologie", "Cause racine", "Actions"),
        closing="Rapport rédigé par {person}, le {date2}.",
    ),
    ("minutes", "en"): KindTemplates(
        title="Minutes of the {subject} meeting, {date}",
        header=(
            "Date: {date}",
            "Location: {company} offices, {address}",
            "Chair: {person}",
            "Attendees: {person}, {person2}, {person3}",
            "Minutes taken by: {person3}",
        ),
        body=(
            "{person} opened the meeting and the minutes of the previous session were approved without changes.",
            "{person2} presented the quarterly figures: spending is {amount}, {pct}% below the forecast.",
            "The committee agreed to postpone the migration until the vendor confirms the new delivery date.",
            "{title} {last} raised concerns about staffing levels in the {dept} team.",
            "Action: {person3} to circulate the revised plan by {date2}.",
            "Action: {first} to contact the supplier on {phone} about the delayed shipment.",
            "The next meeting will take place on {date2} in the {city} office.",
            "It was noted that the training budget has been fully used for this year.",
            "The proposal was approved with {number} votes in favour and one abstention.",
            "Questions from staff can be sent to {email} ahead of the next session.",
            "{person2} will share the supplier's bank details ({iban}) with finance for verification.",
        ),
        headings=("Approval of previous minutes", "Financial update", "Project status", "Staffing", "Other business"),
        closing="The meeting closed at {hour}:{minute}.",
    ),
    ("minutes", "fr"): KindTemplates(
        title="Compte rendu de la réunion {subject} du {date}",
        header=(
            "Date : {date}",
            "Lieu : locaux de {company}, {address}",
            "Président de séance : {person}",
            "Participants : {person}, {person2}, {person3}",
            "Secrétaire de séance : {person3}",
        ),
        body=(
            "{person} ouvre la séance ; le compte rendu de la réunion précédente est approuvé sans modification.",
            "{person2} présente les chiffres du trimestre : les dépenses s'élèvent à {amount}, soit {pct} % de "
            "moins que prévu.",
            "Le comité décide de reporter la migration jusqu'à confirmation de la nouvelle date de livraison.",
            "{title} {last} s'inquiète des effectifs du service {dept}.",
            "Action : {person3} diffusera le plan révisé avant le {date2}.",
            "Action : {first} contactera le fournisseur au {phone} au sujet de la livraison en retard.",
            "La prochaine réunion aura lieu le {date2} dans nos locaux de {city}.",
            "La proposition est adoptée par {number} voix pour et une abstention.",
            "Les questions du personnel peuvent être envoyées à {email} avant la prochaine séance.",
            "{person2} transmettra les coordonnées bancaires du fournisseur ({iban}) à la comptabilité.",
        ),
        headings=("Approbation du compte rendu", "Point financier", "Avancement du projet", "Effectifs", "Divers"),
        closing="La séance est levée à {hour} h {minute}.",
    ),
}
