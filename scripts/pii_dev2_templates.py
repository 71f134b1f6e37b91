"""The templates of the second redaction development set (scripts/make_pii_dev2.py), written for Enclave."""

from __future__ import annotations

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
