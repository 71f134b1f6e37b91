"""Write the second labelled redaction development set, tests/data/pii_dev2_en.json.

The project's first development set (../shared/data/pii/synth_dataset_v2.json) is presidio-research's: Faker
values in presidio-research's templates. This one comes from another source on both counts, so that a redaction
change can be checked on text it was not written for: the templates below were written for Enclave as business
text is written (HR letters, support tickets, insurance claims, appointment notes, bank letters, minutes, chat,
forms, e-mail signatures...), without looking at the redactor or the first set's templates, and the values come
from mimesis (MIT), a generator other than Faker: names of 24 locales (the Cyrillic ones romanized by mimesis's
own ``romanize``), street addresses in 17 countries' layouts, companies, cities, countries, dates, card numbers,
IP addresses. Mimesis has no IBAN: the IBANs are built here and checked with python-stdnum. Given names that are
also English words (Rose, Will, Hope...) are a short list written here, since mimesis's lists lack most of them;
the surnames that are words are taken from mimesis's English list.

Records are presidio-research style (``full_text``, ``spans`` with ``entity_type``, ``entity_value``,
``start_position``, ``end_position`` end exclusive, ``template_id``), which ``enclave eval redaction --dataset``
reads. Offsets are computed while each template is filled and checked against the text.

Labelling conventions: a postal address written as one (street line, unit, postcode and town, on one line or on
several) is one STREET_ADDRESS span; a country line after it, or a town named apart from an address, is GPE. A
courtesy or academic title before a name is TITLE, apart from the PERSON span. Dates, times, weekdays and card
expiry dates are DATE_TIME. Reference, order, policy and ticket numbers are not labelled (they are not personal).

Deterministic: the seed is fixed, and the output is byte-identical for the pinned mimesis version only (its data
files are the values), which this script checks before writing. It is a development tool: the product never
imports it, and mimesis is no dependency of the project.

Usage: mimesis is in the dev extra (``pip install -e '.[dev]'``), or in any environment:
    pip install mimesis==22.2.0 python-stdnum
    python scripts/make_pii_dev2.py [--out PATH]
tests/test_pii_dev2.py checks the file and, when mimesis 22.2.0 is importable, that this script writes it again
byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIMESIS_VERSION = "22.2.0"
SEED = 20261207
RECORDS_PER_TEMPLATE = 13
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii_dev2_en.json"

ENTITY_TYPES = frozenset(
    {
        "PERSON",
        "TITLE",
        "STREET_ADDRESS",
        "GPE",
        "ORGANIZATION",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "DATE_TIME",
        "ZIP_CODE",
        "IP_ADDRESS",
    }
)

# Locales of people's names, with weights: English-speaking ones most often, then European, then others.
# ru, uk and kk names are Cyrillic in mimesis and romanized with mimesis.keys.romanize.
NAME_LOCALES = {
    "en": 6,
    "en-gb": 5,
    "en-au": 1,
    "en-ca": 1,
    "de": 3,
    "fr": 3,
    "es": 3,
    "it": 3,
    "pl": 3,
    "nl": 3,
    "pt": 2,
    "cs": 1,
    "sv": 1,
    "da": 1,
    "fi": 1,
    "hu": 1,
    "tr": 2,
    "az": 1,
    "kk": 1,
    "ru": 1,
    "uk": 1,
    "es-mx": 2,
    "pt-br": 2,
    "de-ch": 1,
}
ROMANIZED = ("kk", "ru", "uk")

# Countries of postal addresses: the locale mimesis draws the parts from, the English name, the layout.
ADDRESS_COUNTRIES = {
    "en": ("United States", "us", 6),
    "en-gb": ("United Kingdom", "gb", 5),
    "en-ca": ("Canada", "ca", 2),
    "de": ("Germany", "postcode-first", 3),
    "de-at": ("Austria", "postcode-first", 1),
    "de-ch": ("Switzerland", "postcode-first", 1),
    "fr": ("France", "postcode-first", 3),
    "nl": ("the Netherlands", "postcode-first", 2),
    "nl-be": ("Belgium", "postcode-first", 1),
    "es": ("Spain", "postcode-first", 2),
    "it": ("Italy", "postcode-first", 2),
    "pl": ("Poland", "postcode-first", 2),
    "pt": ("Portugal", "postcode-first", 1),
    "sv": ("Sweden", "postcode-first", 1),
    "da": ("Denmark", "postcode-first", 1),
    "cs": ("Czech Republic", "postcode-first", 1),
    "fi": ("Finland", "postcode-first", 1),
}

# Given names that are also English words. Those marked * are in mimesis's English lists; the others are added
# here because mimesis lacks them.
WORD_GIVEN_NAMES = {
    "male": "Will* Mark* Bill* Ray* Frank* Jack* Art* Guy* Drew* Chase* Hunter* Rusty* Glen* Dale* Miles* Bob* "
    "Lance* Cliff* Wade* Rob* Herb* Sterling* Earl* Victor* Grant Bud* Forest*",
    "female": "Rose Hope Grace Faith June May Dawn Joy Ivy Holly Amber Daisy Summer April Iris Olive Ruby Penny "
    "Heather Carol* Angel* Honey* Robin* Sandy* Pat* Jean*",
}
# Surnames that are English words, all of them in mimesis's English surname list (checked at run time).
WORD_SURNAMES = [
    "Baker",
    "Young",
    "Brown",
    "Green",
    "White",
    "Long",
    "Hill",
    "Wood",
    "Page",
    "Hall",
    "King",
    "Rich",
    "Moody",
    "Best",
    "Little",
    "Short",
    "Bush",
    "Fox",
    "Stone",
    "Cook",
    "Mason",
    "Black",
    "Church",
    "Bell",
    "Rice",
    "Price",
    "Lane",
    "Gray",
    "Wise",
    "Strong",
    "Love",
    "Sharp",
    "Small",
    "Banks",
    "Park",
    "Ward",
    "Bird",
    "Hunt",
    "Fields",
    "Rivers",
    "Mills",
    "Woods",
    "Knight",
    "Marsh",
    "Frost",
    "Snow",
    "Day",
    "Burns",
    "Gates",
    "Waters",
    "Cross",
    "May",
    "Hart",
    "Head",
    "Noble",
    "Sweet",
]

TITLES = {
    "male": ["Mr", "Mr.", "Mr.", "Dr", "Dr.", "Prof."],
    "female": ["Ms", "Ms.", "Mrs", "Mrs.", "Miss", "Dr.", "Prof."],
}

# Bank account layouts for the IBANs (n digit, a upper-case letter, c digit or letter), checked by stdnum.
IBAN_LAYOUTS = {
    "DE": "18n",
    "GB": "4a14n",
    "NL": "4a10n",
    "FR": "10n11n2n",
    "ES": "20n",
    "IT": "1a10n12n",
    "BE": "12n",
    "AT": "16n",
    "CH": "5n12n",
    "PL": "24n",
    "IE": "4a14n",
    "PT": "21n",
    "SE": "20n",
    "DK": "14n",
}

# Phone layouts: '#' any digit, 'N' a digit 2-9 (North American area codes and exchanges).
PHONE_LAYOUTS = {
    "intl": [
        "+44 20 #### ####",
        "+44 7### ######",
        "+44 161 ### ####",
        "+49 30 ########",
        "+49 1## #######",
        "+49 89 #######",
        "+33 # ## ## ## ##",
        "+33 6 ## ## ## ##",
        "+34 9## ### ###",
        "+34 6## ## ## ##",
        "+39 02 #### ####",
        "+39 3## ### ####",
        "+31 20 ### ####",
        "+31 6 ########",
        "+48 22 ### ## ##",
        "+48 5## ### ###",
        "+351 21 ### ####",
        "+1 N##-N##-####",
        "+1 (N##) N##-####",
        "+1.N##.N##.####",
        "+90 (5##) ### ## ##",
        "+52 55 #### ####",
        "+55 11 9####-####",
        "+7 7## ### ## ##",
        "+353 8# ### ####",
        "+41 7# ### ## ##",
        "+46 7# ### ## ##",
        "+45 ## ## ## ##",
        "+44 (0)20 #### ####",
        "+49 (0)30 #######",
        "0044 20 #### ####",
        "+61 4## ### ###",
    ],
    "paren": ["(N##) N##-####", "(N##) N## ####", "(0##) #### ####", "(01###) ######", "(0) 6 ## ## ## ##"],
    "dot": ["N##.N##.####", "0#.##.##.##.##", "N##.N##.####", "0#.##.##.##.##"],
    "local": ["N##-####", "N## ####", "N######", "N##-####"],
    "national": ["07### ######", "020 #### ####", "0#### ######", "N##-N##-####", "06 ## ## ## ##", "030 ########"],
}

CITIES_LOCALES = ("en", "en-gb", "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "fi", "cs", "da", "en-ca")
COMPANY_LOCALES = ("en", "de", "fr", "nl", "it", "es")

# Each template: an id, then the text. Fields are {kind} or {kind.N} (the Nth person, address... of the
# record; N defaults to 1, the same N gives the same value), optionally |lower or |upper.
# Person fields: name, first, last, initlast (J. Smith), lastfirst (Smith, John), fullmid (John A. Smith),
# initials (JS), handle (john.smith), title, wfirst/wlast (a first or last name that is an English word),
# email, he/his/him/He/His. Other labelled fields: addr (one line), addr_block (lines), street, addr_tail
# (town and postcode of the same address), acity/acountry (its town/country, GPE), city, country, org, phone,
# phone_intl, phone_paren, phone_dot, phone_local, phone_nat, email_any, card, iban, ssn, date, date2 (another
# style), dob, time, weekday, exp, ip, zip, dr. Not labelled: ref, order, policy, claimref, invoice, empno,
# badge, pnr, amount, n, room.
TEMPLATES: list[tuple[str, str]] = [
    (
        "hr_offer_letter",
        "Dear {title} {last},\n\nWe are pleased to confirm your appointment as Senior Analyst in the Finance team, "
        "starting on {date}. Your line manager will be {name.2}, who will meet you at reception on your first "
        "morning.\n\nPlease return the signed copy of this letter by {date.2}. If you have any questions, contact "
        "{first.3} on {phone_nat.3}.\n\nKind regards,\n{name.4}\nPeople Operations, {org}",
    ),
    (
        "hr_sick_leave",
        "Subject: Absence - {name}\n\nHi {first.2},\n{first} called in this morning and will be off until "
        "{weekday}. {His} fit note is on the shared drive. {last}'s cases for this week have been passed to "
        "{name.3}.\nThanks",
    ),
    (
        "hr_reference",
        "To whom it may concern,\n\nI am writing to confirm that {name} (date of birth {dob}) was employed by "
        "{org} as a warehouse supervisor from {date} to {date.2}. During that time {he} was reliable and well "
        "liked by colleagues, and {he} left of {his} own accord.\n\nShould you need further details, I can be "
        "reached at {email.2} or {phone.2}.\n\n{name.2}\nOperations Manager",
    ),
    (
        "hr_investigation",
        "Investigation meeting - confidential\nPresent: {name} (employee), {name.2} (HR), {name.3} (note taker)\n"
        "{first.2} explained the purpose of the meeting. {first} confirmed that {he} had received the invitation "
        "letter sent to {addr}. {first} asked for {name.4} to attend as companion; this was agreed for the next "
        "session on {date}.",
    ),
    (
        "hr_payroll_change",
        "PAYROLL CHANGE REQUEST\nEmployee: {lastfirst}\nEmployee no.: {empno}\nNew bank account (IBAN): {iban}\n"
        "Effective from: {date}\nRequested by: {name.2}, Payroll",
    ),
    (
        "hr_welcome",
        "Welcome aboard, {first}! {name.2} will be your buddy for the first month. Your laptop is being set up by "
        "IT and should be ready on {weekday}. Desk {room} is yours, next to {first.3}'s.",
    ),
    (
        "hr_leave_request",
        "Hi {first.2}, could I take annual leave from {date} to {date.2}? {first.3} has agreed to cover my "
        "clients while I'm away. Thanks, {first}",
    ),
    (
        "hr_resignation",
        "{date}\n\n{name}\n{addr_block}\n\nDear {first.2},\n\nPlease accept this letter as formal notice of my "
        "resignation from my position at {org}. My last working day will be {date.2}.\n\nYours sincerely,\n"
        "{name}",
    ),
    (
        "hr_contract_change",
        "Further to our conversation on {weekday}, I confirm that from {date} your working hours will be reduced "
        "to 30 per week. All other terms of your contract with {org} remain unchanged. Please sign below and "
        "return to {name.2} in HR.\n\nEmployee signature: ____________  Name: {name}",
    ),
    (
        "ticket_login",
        "Ticket {ref}\nCustomer: {name}\nEmail: {email}\nPhone: {phone}\nIssue: customer cannot log in to the "
        "portal since {date}. Password reset e-mails are not arriving. Last successful login from {ip}.\n"
        "Assigned to: {first.2}",
    ),
    (
        "ticket_printer",
        "Hi, this is {name} from accounts. The printer on the third floor keeps jamming and the toner light is "
        "on. Could someone come by before {time}? You can call me on {phone_local}. Thanks!",
    ),
    (
        "ticket_missing_parcel",
        "{title} {last} rang again about order {order}. {He} says the parcel was left outside {addr} and has "
        "gone missing. {He} would like a replacement rather than a refund. Please call {him} back on "
        "{phone_paren} after {time}.",
    ),
    (
        "ticket_new_starter",
        "[{ref}] VPN access for new starter\nPlease set up VPN and e-mail for {name}, starting {date}, reporting "
        "to {name.2}. Personal e-mail for the welcome pack: {email_any}. Laptop to be shipped to:\n{addr_block}",
    ),
    (
        "ticket_lowercase",
        "user {first|lower} {last|lower} says outlook crashes every time {he} opens the shared calendar. tried "
        "repair, no luck. {he} is at {phone_local}, desk {room}.",
    ),
    (
        "ticket_refund_card",
        "Refund request - order {order}\nCardholder: {name}\nCard number: {card}\nExpiry: {exp}\nAmount: "
        "{amount}\nReason: item arrived damaged. Photos attached. Please refund to the original card.",
    ),
    (
        "ticket_security_alert",
        "Suspicious sign-in: the account {email} signed in from {ip} ({city}, {country}) at {time} on {date}. "
        "The user, {name}, confirmed it was not {him}. Password reset and sessions revoked by {first.2}.",
    ),
    (
        "ticket_delivery_complaint",
        "I am writing to complain about the delivery to {addr}. The driver left my sofa in the rain and would not "
        "carry it inside. My order number is {order}. Please contact me at {email} or {phone_nat}.\n{name}",
    ),
    (
        "ticket_address_update",
        "Please update the billing address on account {ref} to {addr} from {date}. The account holder is "
        "{name}; I am {his} assistant, {name.2}.",
    ),
    (
        "claim_motor_form",
        "CLAIM FORM - MOTOR\nPolicyholder: {title} {name}\nPolicy number: {policy}\nAddress: {addr}\n"
        "Telephone: {phone}\nDate of incident: {date}\nDescription: while parked outside {street.2}, the vehicle "
        "was struck by a van. The other driver, {name.2}, gave {his.2} details and phone number {phone.2}.",
    ),
    (
        "claim_water_damage",
        "Dear {first},\n\nThank you for your claim ({claimref}) about water damage at your home. Our loss "
        "adjuster, {name.2}, will visit on {date} between 9am and 1pm. If this does not suit, please call {him.2} "
        "directly on {phone_paren.2}.\n\nAny settlement will be paid to the account you gave us: {iban}.\n\n"
        "Yours sincerely,\n{name.3}\nClaims Handler",
    ),
    (
        "claim_witness",
        "Witness statement of {name}, of {addr}.\nI was walking my dog on the evening of {date} when I saw a grey "
        "hatchback reverse into the fence. The driver got out and spoke to {name.2}, who lives at number {n}. I "
        "gave my number, {phone}, to the police officer at the scene.",
    ),
    (
        "claim_travel",
        "Hi there, I need to claim for a cancelled trip to {city}. The booking was in the names of {name} and "
        "{name.2}, policy {policy}. The airline refunded the flights but not the hotel. Best, {first}",
    ),
    (
        "claim_health_us",
        "Member: {name}\nSSN: {ssn}\nDate of service: {date}\nProvider: {dr} {last.2}\nAmount billed: {amount}\n"
        "Notes: member paid at the desk and asks to be reimbursed by check to {addr}.",
    ),
    (
        "claim_pet",
        "Claim for our cat, Biscuit, seen by the vet on {date} for a swollen paw. Policy holder: {name}. "
        "Treatment cost {amount}. Please pay the vet directly; their invoice is {invoice}.",
    ),
    (
        "claim_theft_letter",
        "Your reference: {claimref}\n\nDear {title} {last},\n\nWe are sorry to hear about the burglary at "
        "{addr_block} on {date}. To progress your claim we need the crime reference number from the police and "
        "receipts for the items listed. {name.2} is handling your claim and can be reached on {phone_nat.2}.",
    ),
    (
        "med_appointment",
        "Appointment confirmation\nPatient: {name} (DOB {dob})\nClinician: {dr} {name.2}\nWhen: {date} at {time}\n"
        "Where: Outpatients, Building C, {addr.2}\nPlease bring a list of your current medicines. To rearrange, "
        "call {phone_paren.2}.",
    ),
    (
        "med_gp_note",
        "Seen today with {his} daughter {first.2}. {first} reports three weeks of lower back pain after lifting "
        "boxes at work. No red flags. Advised ibuprofen and gentle exercise; review in two weeks. Next of kin: "
        "{name.3}, {phone.3}.",
    ),
    (
        "med_referral",
        "Dear {dr.2} {last.2},\n\nRe: {name}, DOB {dob}, {addr}\n\nThank you for seeing this patient, who has had "
        "intermittent palpitations since {date}. An ECG here was normal. {He} is anxious about driving. I would "
        "be grateful for your assessment.\n\nYours sincerely,\n{dr.3} {name.3}",
    ),
    (
        "med_pharmacy_sms",
        "hi {first|lower}, your prescription is ready to collect from the pharmacy at {street.2}. we close at "
        "{time} today. reply STOP to opt out",
    ),
    (
        "med_physio_list",
        "Physio list for {weekday}\n09:00 {name}\n09:45 {name.2}\n10:30 {name.3} (new patient, knee)\n"
        "11:15 {name.4}\nCancelled: {name.5}",
    ),
    (
        "med_dental_reminder",
        "{title} {last}, a reminder of your dental check-up on {date} at {time}. Please call {phone_local} if "
        "you need to cancel.",
    ),
    (
        "med_discharge_form",
        "DISCHARGE SUMMARY\nSURNAME: {last|upper}\nFORENAME(S): {first|upper}\nDATE OF BIRTH: {dob}\n"
        "ADDRESS: {addr|upper}\nGP: {dr.2} {initlast.2}\nAdmitted {date} with a chest infection; treated with "
        "antibiotics and discharged home.",
    ),
    (
        "med_carer_note",
        "Visited {first} at home at {time}. {He} had eaten breakfast and taken {his} tablets. {His} son "
        "{name.2} will call round this evening. Key safe code given to {first.3} only.",
    ),
    (
        "bank_mortgage_account",
        "Dear {title} {last},\n\nWe have received your request to change the account linked to your mortgage. "
        "From {date}, monthly payments of {amount} will be collected from {iban}.\n\nIf you did not make this "
        "request, call us immediately on {phone_intl}.\n\n{org} Customer Services",
    ),
    (
        "bank_fraud_alert",
        "A payment of {amount} was attempted with your card {card} at {time} on {date}. If this was you, no "
        "action is needed. If not, call the number on the back of your card. - {org}",
    ),
    (
        "bank_transfer",
        "Please transfer {amount} to {name.2}, IBAN {iban.2}, reference {invoice}. Beneficiary address: "
        "{addr.2}. Authorised by {name}, {date}.",
    ),
    (
        "bank_account_opening",
        "Account opening - personal details\nFull name: {fullmid}\nDate of birth: {dob}\nHome address: {addr}\n"
        "Mobile: {phone_intl}\nEmail: {email}\nSocial Security Number: {ssn}",
    ),
    (
        "bank_direct_debit",
        "Direct debit mandate\nCreditor: {org}\nDebtor name: {name}\nDebtor IBAN: {iban}\nSigned at {city} on {date}",
    ),
    (
        "bank_chat",
        "Agent: Good afternoon, who am I speaking to?\nCustomer: {name}\nAgent: Thanks. Can you confirm the "
        "first line of your address?\nCustomer: {street}\nAgent: And your date of birth?\nCustomer: {dob}",
    ),
    (
        "bank_loan_application",
        "The applicant, {name}, has been with {org} for six years and earns {amount} a year. Co-applicant: "
        "{name.2} (SSN {ssn.2}). They wish to borrow against the property at {addr}.",
    ),
    (
        "bank_card_replacement",
        "Hi {first}, your replacement card ending in {n} is on its way to {addr}. Your old card {card} has been "
        "cancelled. Questions? Call {phone_intl} any time.",
    ),
    (
        "minutes_steering",
        "Minutes - project steering group, {date}\nAttendees: {name}, {name.2}, {name.3}, {name.4}\n"
        "Apologies: {name.5}\n\n1. {first} summarised the budget: spend is 4% under forecast.\n2. {last.2} raised "
        "the supplier issue with {org}; {first.3} to follow up by {date.2}.\n3. AOB: {first.4}'s leave from "
        "{date.3}, cover by {first.5}.\n\nActions\n- {initials.3}: chase {org}\n- {initials}: circulate the "
        "revised plan",
    ),
    (
        "minutes_board_wordy",
        "Board meeting notes\n{wfirst} will present the quarterly figures. {wfirst.2} {last.2} asked whether the "
        "{city} office lease can be extended; {wfirst} agreed to check with the landlord. {wfirst.3} noted that the "
        "audit starts on {date}.",
    ),
    (
        "minutes_retro_lowercase",
        "retro notes\n- went well: release on time, thanks {first|lower} and {first.2|lower}\n- not so well: "
        "staging broke twice ({first.3|lower} to look into it)\n- next: {first.4|lower} runs the demo on {weekday}",
    ),
    (
        "minutes_residents",
        "Residents' association meeting, {date}\nChair: {name}. Secretary: {name.2}.\n{title.3} {last.3} of "
        "{street.3} raised the broken street light again. {name.4} offered to write to the council. Next meeting "
        "at the community hall, {date.2}.",
    ),
    (
        "minutes_interview_panel",
        "Interview panel - Data Engineer\nPanel: {name.2}, {name.3}\nCandidate: {name}\n{first} answered the SQL "
        "questions well but struggled with the design exercise. {last.2} scored {him} 3/5, {last.3} 4/5. "
        "Decision: second interview.",
    ),
    (
        "minutes_parents",
        "Notes from the parents' evening: {name} (Year 5) is settling in well. {His} mother, {name.2}, asked about "
        "the trip to {city} on {date}. {title.3} {last.3} will send the consent form.",
    ),
    (
        "chat_whos_in",
        "{first|lower}: is {first.2|lower} in today?\n{first.3|lower}: nope, working from home\n"
        "{first|lower}: ok i'll try {his.2} mobile",
    ),
    (
        "chat_keys",
        "hey {first}! can you send me {first.2}'s number? need to sort out the keys for {street}",
    ),
    (
        "chat_timestamps",
        "[{time}] {name}: running 10 min late, traffic on the ring road\n[{time.2}] {name.2}: no problem, "
        "we'll start without you",
    ),
    (
        "chat_gossip",
        "omg {first|lower} just told me {first.2|lower} {last.2|lower} is leaving for {org}!! did you know",
    ),
    (
        "chat_family",
        "Mum: {first} can you pick grandma up from {addr} at 4?\n{first}: yes but I need the car\nMum: ask your dad",
    ),
    (
        "chat_handle",
        "@{handle} could you review the pull request before standup? {first.2} needs it merged by {time}",
    ),
    (
        "chat_cover_shift",
        "{wfirst} said {he} could cover my shift on {weekday}, so I'll be at my sister's in {city}.",
    ),
    (
        "chat_new_email",
        "thx {first|lower}! btw my new email is {email}, the old one is full",
    ),
    (
        "chat_extension",
        "does anyone know {title} {last}'s extension? i need to send {him} the invoice from {org}",
    ),
    (
        "chat_new_number",
        "{first} {last|upper} here, new number {phone_intl}, the old one is dead. save it pls",
    ),
    (
        "chat_lowercase_names",
        "just had lunch with {name|lower} and {name.2|lower}, they both say hi. {first.2|lower} is moving to "
        "{city|lower} next month",
    ),
    (
        "form_personal_details",
        "Name: {name}\nDate of birth: {dob}\nAddress: {addr}\nPhone: {phone}\nEmail: {email}\nEmergency contact: "
        "{name.2} ({phone.2})",
    ),
    (
        "form_visitor_log",
        "Visitor: {name} | Host: {name.2} | Company: {org} | Badge: {badge} | In: {time} | Out: {time.2}",
    ),
    (
        "form_witness",
        "Full name ......... {name}\nSignature .........\nWitnessed by ...... {name.2}\nAddress of witness "
        "{addr.2}\nDate .............. {date}",
    ),
    (
        "form_tax_us",
        "Name (as shown on your income tax return): {name}\nBusiness name: {org}\nAddress (number, street, and "
        "apt. or suite no.): {street}\nCity, state, and ZIP code: {addr_tail}\nSocial security number: {ssn}",
    ),
    (
        "form_tenancy_application",
        "Applicant\nName: {lastfirst}\nPrevious address:\n{addr_block}\nTime at address: 3 years\nLandlord "
        "reference: {name.2}, {phone.2}",
    ),
    (
        "form_membership",
        "MEMBERSHIP RENEWAL\nMember: {title} {name}\nMember no. {empno}\nPay by card: {card} exp. {exp}\n"
        "Contact e-mail: {email}",
    ),
    (
        "form_contact_table",
        "First name\t{first}\nLast name\t{last}\nCompany\t{org}\nPhone\t{phone_dot}\nE-mail\t{email}",
    ),
    (
        "form_uppercase",
        "APPLICANT: {name|upper}\nDATE OF BIRTH: {dob}\nCURRENT ADDRESS: {addr|upper}\nTELEPHONE: {phone_nat}",
    ),
    (
        "sig_account_manager",
        "Thanks,\n{first}\n\n{name}\nAccount Manager | {org}\nM: {phone_intl}\nE: {email}\n{addr}",
    ),
    (
        "sig_procurement",
        "Best regards\n{title} {name}\nHead of Procurement\n{org}\n{addr_block}\n{acountry}\nTel. {phone_intl} | "
        "Fax {phone_intl.2}",
    ),
    (
        "sig_phone",
        "Sounds good, see you {weekday}.\n\n--\n{name}\nSent from my phone",
    ),
    (
        "sig_pronouns",
        "Let me know if anything is unclear.\n\n{first} {last} ({he}/{him})\nPeople Partner\nDirect: {phone_paren}",
    ),
    (
        "mail_forward_header",
        "From: {name} <{email}>\nSent: {date} {time}\nTo: {name.2} <{email.2}>\nCc: {name.3}\nSubject: RE: "
        "invoice {invoice}\n\nHi {first.2}, see below - can you check with {first.3}?",
    ),
    (
        "sig_partner",
        "We will file the response before the deadline.\n\nKind regards,\n\n{initlast}\nPartner\n{org}\n{phone_intl}",
    ),
    (
        "list_shortlist",
        "Shortlisted candidates:\n1. {name}\n2. {name.2}\n3. {name.3}\n4. {name.4}\nInterviews on {date}.",
    ),
    (
        "list_rota",
        "Rota for {weekday}: {first}, {first.2}, {first.3} (mornings); {first.4} and {first.5} (afternoons).",
    ),
    (
        "list_winners",
        "Raffle winners: {lastfirst}; {lastfirst.2}; {lastfirst.3}. Prizes can be collected from reception.",
    ),
    (
        "list_csv",
        "name,email,phone\n{name},{email},{phone}\n{name.2},{email.2},{phone.2}\n{name.3},{email.3},{phone.3}",
    ),
    (
        "list_distribution",
        "Distribution: {name}; {name.2}; {name.3}; {title.4} {name.4}",
    ),
    (
        "wordy_contract_copy",
        "{wfirst} {last} has asked for a copy of the signed contract. Can you send it to {his} personal address, "
        "{addr}?",
    ),
    (
        "wordy_spoke_to",
        "I spoke to {wfirst} this morning and {he} will send the documents on {weekday}.",
    ),
    (
        "wordy_full",
        "Please ask {wfirst} {wlast} to sign the form and return it to {first.2}.",
    ),
    (
        "wordy_surname",
        "{wlast} confirmed the delivery for {date}. {title.2} {wlast.2} will be on site to receive it.",
    ),
    (
        "wordy_thanks",
        "Thanks to {wfirst}, {wfirst.2} and {wfirst.3} for organising the summer party!",
    ),
    (
        "wordy_message",
        "Message for {wfirst}: your parcel is at reception. Collected by: ______",
    ),
    (
        "tenancy_agreement",
        "This tenancy agreement is made on {date} between {name} (the Landlord) of {addr} and {name.2} (the "
        "Tenant) in respect of the flat at {addr.3}. The rent is {amount} per month.",
    ),
    (
        "tenancy_noise",
        "Dear neighbour, I live at {street} and have been kept awake by loud music from your flat several nights "
        "this week. Could we talk? {first}, flat {n}",
    ),
    (
        "legal_estate",
        "IN THE MATTER OF the estate of {name}, late of {addr}, deceased.\nExecutors: {name.2} and {name.3}.\n"
        "Claims against the estate must be sent to the executors by {date}.",
    ),
    (
        "legal_nda",
        "This agreement is between {org} and {name} of {addr} (the Recipient). The Recipient shall not disclose "
        "Confidential Information to anyone other than {his} advisers.",
    ),
    (
        "travel_booking",
        "Booking reference {pnr}\nPassenger 1: {title} {first} {last|upper}\nPassenger 2: {title.2} {first.2} "
        "{last.2|upper}\nFrom {city} to {city.2}, departing {date} {time}",
    ),
    (
        "travel_hotel",
        "Your reservation is confirmed, {first}! We look forward to welcoming you and {name.2} on {date}. "
        "Check-in is from 3pm. If your plans change, email us or call {phone_intl}.",
    ),
    (
        "school_letter",
        "Dear Parent/Carer of {name},\n\nI am pleased to tell you that {first} has been chosen for the county "
        "chess team. The first match is on {date} in {city}. Please reply to {name.2} by {weekday}.",
    ),
    (
        "university_admission",
        "Applicant {name} (ID {empno}) has accepted the offer. Correspondence address: {addr_block}. "
        "Personal tutor: {dr.2} {name.2}.",
    ),
    (
        "recruit_cover_letter",
        "Dear Hiring Manager,\n\nMy name is {name} and I am applying for the role of Logistics Coordinator. For "
        "the past four years I have worked at {org} under {name.2}, who has kindly agreed to act as a referee.\n\n"
        "I can be reached on {phone} or at {email}.",
    ),
    (
        "recruit_scheduling",
        "Hi {first}, thanks for your application. Could you do a call with {first.2} {last.2} on {date} at "
        "{time}? {He.2} will ring you on {phone}.",
    ),
    (
        "expense_claim",
        "Expense claim - {name}\nTaxi from {city} airport to the client site: {amount}\nDinner with {name.2} "
        "({org}): {amount.2}\nPaid with corporate card {card}",
    ),
    (
        "voicemail",
        "Hi, it's {first} {last} calling about the quote you sent. Could you ring me back? My number is "
        "{phone_dot}, that's {phone_dot} again. Thanks, bye.",
    ),
    (
        "crm_note",
        "Spoke with {name} ({org}). {He} is interested in the enterprise plan but needs sign-off from {name.2}. "
        "Follow up on {date}.",
    ),
    (
        "crm_assistant",
        "Call notes: {first} {last}'s assistant, {first.2}, said {he} is travelling until {date} and asked us to "
        "email {email} rather than call.",
    ),
    (
        "delivery_notice",
        "Your parcel for {name}, {addr}, will be delivered on {date} between {time} and {time.2}. Your driver "
        "today is {first.2}.",
    ),
    (
        "review_branch",
        "Great service from {first} at the {city} branch! {He} sorted out my broken phone in ten minutes.",
    ),
    (
        "utility_bill",
        "Account holder: {title} {initlast}\nSupply address: {addr}\nBill date: {date}\nAmount due: {amount}\n"
        "Pay by direct debit from {iban} on {date.2}.",
    ),
    (
        "parking_appeal",
        "I wish to appeal the parking charge {ref} issued on {date}. I was visiting my mother, {name.2}, at "
        "{addr.2}, and had a valid permit on display. {name}",
    ),
    (
        "name_alone_line",
        "Re: your order\n\n{name}\n\nhas been added to the list of authorised collectors for account {ref}.",
    ),
    (
        "press_quote",
        '{name}, chief executive of {org}, said the results were "encouraging". {last} will step down on '
        "{date}, to be succeeded by {name.2}.",
    ),
    (
        "it_access_review",
        "Access review {date}: remove {name} (left {date.2}), keep {name.2} and {name.3}, downgrade {name.4} to "
        "read-only. Laptop {badge} was last seen on {ip}.",
    ),
    (
        "gym_membership",
        "Welcome to the club, {first}! Your membership starts on {date}. Your trainer is {first.2}, who will "
        "text you on {phone_nat} to arrange your first session.",
    ),
    (
        "car_rental",
        "Rental agreement {ref}\nDriver: {name}\nLicence address: {addr}\nAdditional driver: {name.2}\nPick-up: "
        "{city}, {date}\nDeposit held on card {card}",
    ),
    (
        "condolence",
        "We were so sorry to hear about {first}'s father. {name.2} from the office will bring flowers round to "
        "{addr} on {weekday}.",
    ),
    (
        "apology_letter",
        "Dear {title} {last},\n\nI am sorry that our engineer did not arrive on {date} as agreed. I have booked "
        "a new visit for {date.2}, and {first.2} will call you on {phone} the day before.\n\n{name.3}\n"
        "Customer Relations",
    ),
]


@dataclass
class Person:
    first: str
    last: str
    gender: str
    middle_initial: str
    title: str


@dataclass
class Address:
    street: str
    tail: str
    city: str
    country: str
    layout: str

    def line(self) -> str:
        return f"{self.street}, {self.tail}"

    def block(self) -> str:
        return f"{self.street}\n{self.tail}"


@dataclass
class Providers:
    """Every mimesis provider the values come from, seeded once, called in a fixed order."""

    rng: random.Random
    people: dict[str, Any] = field(default_factory=dict)
    addresses: dict[str, Any] = field(default_factory=dict)
    companies: dict[str, Any] = field(default_factory=dict)
    romanize: dict[str, Any] = field(default_factory=dict)
    english_person: Any = None
    english_address: Any = None
    payment: Any = None
    internet: Any = None
    datetime: Any = None
    word_given: dict[str, list[str]] = field(default_factory=dict)
    word_surnames: list[str] = field(default_factory=list)


def make_providers() -> Providers:
    import mimesis
    from mimesis import Address as MAddress
    from mimesis import Datetime, Finance, Internet, Locale, Payment
    from mimesis import Person as MPerson
    from mimesis.keys import romanize

    if mimesis.__version__ != MIMESIS_VERSION:
        raise SystemExit(f"mimesis {mimesis.__version__} is installed; this set is made with {MIMESIS_VERSION}")
    providers = Providers(rng=random.Random(SEED))
    offset = 1
    for code in NAME_LOCALES:
        providers.people[code] = MPerson(Locale(code), seed=SEED + offset)
        offset += 1
    for code in ROMANIZED:
        providers.romanize[code] = romanize(Locale(code))
    for code in ADDRESS_COUNTRIES:
        providers.addresses[code] = MAddress(Locale(code), seed=SEED + offset)
        offset += 1
    for code in CITIES_LOCALES:
        providers.addresses.setdefault(code, MAddress(Locale(code), seed=SEED + offset))
        offset += 1
    for code in COMPANY_LOCALES:
        providers.companies[code] = Finance(Locale(code), seed=SEED + offset)
        offset += 1
    providers.english_person = MPerson(Locale.EN, seed=SEED + 100)
    providers.english_address = MAddress(Locale.EN, seed=SEED + 101)
    providers.payment = Payment(seed=SEED + 102)
    providers.internet = Internet(seed=SEED + 103)
    providers.datetime = Datetime(Locale.EN, seed=SEED + 104)
    english = json.loads((Path(mimesis.__file__).parent / "datasets" / "en" / "person.json").read_text("utf-8"))
    for gender, names in WORD_GIVEN_NAMES.items():
        listed = set(english["names"]["male"]) | set(english["names"]["female"])
        words = names.split()
        for word in words:
            if word.endswith("*") and word[:-1] not in listed:
                raise SystemExit(f"{word[:-1]} is no longer in mimesis's English given names")
        providers.word_given[gender] = [word.rstrip("*") for word in words]
    missing = [name for name in WORD_SURNAMES if name not in english["surnames"]]
    if missing:
        raise SystemExit(f"not in mimesis's English surnames: {missing}")
    providers.word_surnames = list(WORD_SURNAMES)
    return providers


def ascii_fold(text: str) -> str:
    special = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i", "đ": "d", "æ": "ae", "ə": "e", "Ə": "E"}
    text = "".join(special.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and (char.isalnum() or char in " -'"))


class Filler:
    """The values of one record: the Nth person, address... of a template is drawn once and reused."""

    def __init__(self, providers: Providers, wordy_first: set[str], wordy_last: set[str]) -> None:
        self.p = providers
        self.rng = providers.rng
        self.wordy_first = wordy_first
        self.wordy_last = wordy_last
        self.cache: dict[tuple[str, str], tuple[str | None, str]] = {}
        self.persons: dict[str, Person] = {}
        self.addresses: dict[str, Address] = {}

    # People -------------------------------------------------------------------------------------------------
    def person(self, index: str) -> Person:
        if index in self.persons:
            return self.persons[index]
        from mimesis.enums import Gender

        gender = self.rng.choice(["male", "female"])
        codes = list(NAME_LOCALES)
        code = self.rng.choices(codes, weights=[NAME_LOCALES[c] for c in codes])[0]
        provider = self.p.people[code]
        enum = Gender.MALE if gender == "male" else Gender.FEMALE
        for _ in range(50):  # a few of mimesis's names carry stray marks ("???"): drawn again
            first = provider.first_name(enum)
            last = provider.last_name(enum)
            if code in self.p.romanize:
                first, last = self.p.romanize[code](first), self.p.romanize[code](last)
            if NAME_SHAPE.match(first) and NAME_SHAPE.match(last):
                break
        if index in self.wordy_first:
            first = self.rng.choice(self.p.word_given[gender])
        if index in self.wordy_last:
            last = self.rng.choice(self.p.word_surnames)
        middle = self.rng.choice("ABCDEFGHJKLMNPRSTW")
        title = self.rng.choice(TITLES[gender])
        person = Person(first, last, gender, middle, title)
        self.persons[index] = person
        return person

    def email_for(self, person: Person) -> str:
        first = ascii_fold(person.first).lower().replace(" ", "").replace("'", "")
        last = ascii_fold(person.last).lower().replace(" ", "").replace("'", "")
        local = self.rng.choice(
            [
                f"{first}.{last}",
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}_{last}",
                f"{first}{last[0]}",
                f"{last}.{first}",
                f"{first}.{last}{self.rng.randint(1, 99)}",
                f"{first[0]}.{last}",
            ]
        )
        if self.rng.random() < 0.5:
            domain = self.rng.choice(["gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "orange.fr", "icloud.com"])
        else:
            company = ascii_fold(self.company()).lower()
            slug = re.sub(r"[^a-z0-9]+", "", company.split(" ")[0]) or "mail"
            domain = f"{slug}.{self.rng.choice(['com', 'co.uk', 'de', 'fr', 'nl', 'eu', 'io'])}"
        return f"{local}@{domain}"

    # Addresses ----------------------------------------------------------------------------------------------
    def address(self, index: str) -> Address:
        if index in self.addresses:
            return self.addresses[index]
        codes = list(ADDRESS_COUNTRIES)
        code = self.rng.choices(codes, weights=[ADDRESS_COUNTRIES[c][2] for c in codes])[0]
        country, layout, _ = ADDRESS_COUNTRIES[code]
        provider = self.p.addresses[code]
        street = provider.address()
        city = provider.city()
        postcode = provider.postal_code()
        if layout == "us":
            if self.rng.random() < 0.3:
                street += self.rng.choice([", Apt ", " Apt. ", ", Suite ", ", Unit "]) + str(self.rng.randint(1, 40))
            tail = f"{city}, {provider.state(abbr=True)} {postcode}"
        elif layout == "gb":
            if self.rng.random() < 0.2:
                street = f"Flat {self.rng.randint(1, 30)}, {street}"
            tail = f"{city} {postcode}" if self.rng.random() < 0.6 else f"{city}, {postcode}"
        elif layout == "ca":
            province = provider.state(abbr=True).split("-")[-1]
            tail = f"{city}, {province} {postcode}"
        else:
            tail = f"{postcode} {city}"
        result = Address(street, tail, city, country, layout)
        self.addresses[index] = result
        return result

    # Other values -------------------------------------------------------------------------------------------
    def company(self) -> str:
        code = self.rng.choice(COMPANY_LOCALES)
        return str(self.p.companies[code].company())

    def city(self) -> str:
        code = self.rng.choice(CITIES_LOCALES)
        return str(self.p.addresses[code].city())

    def digits(self, layout: str) -> str:
        out = []
        for char in layout:
            if char == "#":
                out.append(str(self.rng.randint(0, 9)))
            elif char == "N":
                out.append(str(self.rng.randint(2, 9)))
            else:
                out.append(char)
        return "".join(out)

    def phone(self, style: str | None) -> str:
        if style is None:
            style = self.rng.choice(["intl", "intl", "paren", "dot", "national", "national", "local"])
        return self.digits(self.rng.choice(PHONE_LAYOUTS[style]))

    def card(self) -> str:
        from mimesis.enums import CardType

        number = str(self.p.payment.credit_card_number(self.rng.choice(list(CardType))))
        style = self.rng.random()
        if style < 0.2:
            return number.replace(" ", "")
        if style < 0.35:
            return number.replace(" ", "-")
        return number

    def iban(self) -> str:
        from stdnum import iban as stdnum_iban

        country = self.rng.choice(sorted(IBAN_LAYOUTS))
        parts = re.findall(r"(\d+)([nac])", IBAN_LAYOUTS[country])
        for _ in range(10_000):
            bban = ""
            for count, kind in parts:
                for _ in range(int(count)):
                    if kind == "n":
                        bban += str(self.rng.randint(0, 9))
                    elif kind == "a":
                        bban += self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    else:
                        bban += self.rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            number = stdnum_iban.calc_check_digits(country + "00" + bban)
            candidate = f"{country}{number}{bban}"
            if stdnum_iban.is_valid(candidate):
                break
        else:
            raise RuntimeError(f"no valid IBAN for {country}")
        if self.rng.random() < 0.7:
            return " ".join(candidate[i : i + 4] for i in range(0, len(candidate), 4))
        return candidate

    def ssn(self) -> str:
        area = self.rng.choice([n for n in range(1, 900) if n != 666])
        group = self.rng.randint(1, 99)
        serial = self.rng.randint(1, 9999)
        separator = "-" if self.rng.random() < 0.8 else " "
        return f"{area:03d}{separator}{group:02d}{separator}{serial:04d}"

    def date(self, birth: bool = False, style: str | None = None) -> str:
        value = self.p.datetime.date(start=1948, end=2004) if birth else self.p.datetime.date(start=2019, end=2027)
        formats = {
            "long": ["%d %B %Y", "%B %d, %Y", "%A %d %B", "%d %b %Y", "%b %d", "%d %B"],
            "short": ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%y"],
        }
        chosen = style or self.rng.choice(["long", "long", "short"])
        layout = self.rng.choice([f for f in formats[chosen] if "%Y" in f or "%y" in f] if birth else formats[chosen])
        return value.strftime(layout.replace("%d", str(value.day)) if chosen == "long" else layout)

    def time(self) -> str:
        hour, minute = self.rng.randint(7, 19), self.rng.choice([0, 0, 15, 30, 45, 10, 50])
        if self.rng.random() < 0.5:
            return f"{hour:02d}:{minute:02d}"
        suffix = "am" if hour < 12 else "pm"
        twelve = hour if hour <= 12 else hour - 12
        return f"{twelve}:{minute:02d} {suffix}" if minute else f"{twelve}{suffix}"

    def value(self, kind: str, index: str) -> tuple[str | None, str]:
        key = (kind, index)
        if key not in self.cache:
            self.cache[key] = self._value(kind, index)
        return self.cache[key]

    def _value(self, kind: str, index: str) -> tuple[str | None, str]:
        rng = self.rng
        if kind in ("name", "first", "last", "wfirst", "wlast", "initlast", "lastfirst", "fullmid", "initials"):
            person = self.person(index)
            text = {
                "name": f"{person.first} {person.last}",
                "first": person.first,
                "wfirst": person.first,
                "last": person.last,
                "wlast": person.last,
                "initlast": f"{person.first[0]}. {person.last}",
                "lastfirst": f"{person.last}, {person.first}",
                "fullmid": f"{person.first} {person.middle_initial}. {person.last}",
                "initials": f"{person.first[0]}{person.last[0]}".upper(),
            }[kind]
            return "PERSON", text
        if kind == "handle":
            person = self.person(index)
            parts = (ascii_fold(person.first), ascii_fold(person.last))
            return "PERSON", ".".join(part.lower().replace(" ", "").replace("'", "") for part in parts)
        if kind == "title":
            return "TITLE", self.person(index).title
        if kind == "dr":
            return "TITLE", rng.choice(["Dr", "Dr.", "Dr.", "Prof."])
        if kind in ("he", "his", "him", "He", "His"):
            male = self.person(index).gender == "male"
            word = {"he": ("he", "she"), "his": ("his", "her"), "him": ("him", "her")}[kind.lower()][0 if male else 1]
            return None, word.capitalize() if kind[0].isupper() else word
        if kind == "email":
            return "EMAIL_ADDRESS", self.email_for(self.person(index))
        if kind == "email_any":
            return "EMAIL_ADDRESS", str(self.p.english_person.email())
        if kind in ("addr", "addr_block", "street", "addr_tail"):
            address = self.address(index)
            text = {
                "addr": address.line(),
                "addr_block": address.block(),
                "street": address.street,
                "addr_tail": address.tail,
            }[kind]
            return "STREET_ADDRESS", text
        if kind == "acity":
            return "GPE", self.address(index).city
        if kind == "acountry":
            return "GPE", self.address(index).country
        if kind == "city":
            return "GPE", self.city()
        if kind == "country":
            return "GPE", str(self.p.english_address.country())
        if kind == "org":
            return "ORGANIZATION", self.company()
        if kind.startswith("phone"):
            style = kind.partition("_")[2] or None
            style = {"nat": "national"}.get(style or "", style)
            return "PHONE_NUMBER", self.phone(style)
        if kind == "card":
            return "CREDIT_CARD", self.card()
        if kind == "iban":
            return "IBAN_CODE", self.iban()
        if kind == "ssn":
            return "US_SSN", self.ssn()
        if kind == "date":
            return "DATE_TIME", self.date()
        if kind == "dob":
            return "DATE_TIME", self.date(birth=True)
        if kind == "time":
            return "DATE_TIME", self.time()
        if kind == "weekday":
            return "DATE_TIME", rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
        if kind == "exp":
            return "DATE_TIME", f"{rng.randint(1, 12):02d}/{rng.randint(26, 31)}"
        if kind == "ip":
            return "IP_ADDRESS", str(self.p.internet.ip_v4())
        if kind == "zip":
            return "ZIP_CODE", str(self.address(index).tail.split()[0])
        unlabelled = {
            "ref": lambda: f"{rng.choice(['INC', 'REQ', 'SR', 'TCK'])}-{rng.randint(10000, 999999)}",
            "order": lambda: rng.choice(["#", "", "ORD-"]) + str(rng.randint(1000000, 99999999)),
            "policy": lambda: f"{rng.choice(['POL', 'HH', 'MTR'])}{rng.randint(1000000, 9999999)}",
            "claimref": lambda: f"CLM/{rng.randint(2020, 2026)}/{rng.randint(10000, 99999)}",
            "invoice": lambda: f"INV-{rng.randint(2020, 2026)}-{rng.randint(100, 9999):04d}",
            "empno": lambda: f"{rng.choice(['E', 'S', ''])}{rng.randint(10000, 999999)}",
            "badge": lambda: f"{rng.choice(['V', 'LT', 'B'])}-{rng.randint(100, 9999)}",
            "pnr": lambda: "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
            "amount": lambda: (
                f"{rng.choice(['£', '€', '$'])}{rng.randint(12, 4800):,}.{rng.choice(['00', '50', '99', '20'])}"
            ),
            "n": lambda: str(rng.randint(2, 98)),
            "room": lambda: f"{rng.randint(1, 6)}.{rng.randint(1, 40):02d}",
        }
        if kind in unlabelled:
            return None, unlabelled[kind]()
        raise KeyError(f"unknown field {kind!r}")


NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:(?:[ '’-]|\. ?)[^\W\d_]+)*[’]?$")
FIELD = re.compile(r"\{([A-Za-z_]+)(?:\.(\d))?(?:\|(lower|upper))?\}")


def fill(template_id: str, template: str, providers: Providers) -> dict[str, Any]:
    wordy_first = {m.group(2) or "1" for m in FIELD.finditer(template) if m.group(1) == "wfirst"}
    wordy_last = {m.group(2) or "1" for m in FIELD.finditer(template) if m.group(1) == "wlast"}
    filler = Filler(providers, wordy_first, wordy_last)
    text = ""
    spans = []
    position = 0
    for match in FIELD.finditer(template):
        text += template[position : match.start()]
        label, value = filler.value(match.group(1), match.group(2) or "1")
        if match.group(3) == "lower":
            value = value.lower()
        elif match.group(3) == "upper":
            value = value.upper()
        start = len(text)
        text += value
        if label is not None:
            spans.append(
                {"entity_type": label, "entity_value": value, "start_position": start, "end_position": len(text)}
            )
        position = match.end()
    text += template[position:]
    for span in spans:
        assert text[span["start_position"] : span["end_position"]] == span["entity_value"], (template_id, span)
        assert span["entity_type"] in ENTITY_TYPES, span
    return {"full_text": text, "spans": spans, "template_id": template_id}


def build_records() -> list[dict[str, Any]]:
    ids = [template_id for template_id, _ in TEMPLATES]
    assert len(ids) == len(set(ids)), "template ids must be unique"
    providers = make_providers()
    records = []
    texts: set[str] = set()
    for template_id, template in TEMPLATES:
        for _ in range(RECORDS_PER_TEMPLATE):
            record = fill(template_id, template, providers)
            while record["full_text"] in texts:  # a short template can draw the same values twice
                record = fill(template_id, template, providers)
            texts.add(record["full_text"])
            records.append(record)
    providers.rng.shuffle(records)
    return records


def serialize(records: list[dict[str, Any]]) -> str:
    """One record a line: a readable diff when the set is regenerated."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    records = build_records()
    args.out.write_text(serialize(records), "utf-8")
    counts: dict[str, int] = {}
    for record in records:
        for span in record["spans"]:
            counts[span["entity_type"]] = counts.get(span["entity_type"], 0) + 1
    print(f"wrote {args.out}: {len(records)} records from {len(TEMPLATES)} templates")
    for name, count in sorted(counts.items()):
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
