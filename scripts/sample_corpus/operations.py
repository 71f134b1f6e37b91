# Document text is written to the files verbatim, one paragraph per line: no line-length limit here.
# ruff: noqa: E501
"""Operational documents: a procedure, an incident report, an intranet page and a French memo.

All names, numbers and addresses are fictitious.
"""

from __future__ import annotations

from sample_corpus.model import Document, Fact

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
