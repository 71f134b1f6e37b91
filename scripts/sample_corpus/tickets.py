# Document text is written to the files verbatim, one paragraph per line: no line-length limit here.
# ruff: noqa: E501
"""Support tickets: two emails and a French plain-text ticket.

All names, numbers and addresses are fictitious.
"""

from __future__ import annotations

from sample_corpus.model import Document, Fact

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
