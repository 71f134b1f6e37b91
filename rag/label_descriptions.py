"""What common support-ticket labels mean, for the embedding side of classification.

A bare word like "technical" embeds far from "the VPN client fails with error 809"; a description of
the label does not. Callers can send their own descriptions; these cover labels teams often use.
"""

from __future__ import annotations

COMMON_LABELS: dict[str, str] = {
    "billing": "billing: invoices, payments, charges, refunds, prices, subscriptions",
    "invoice": "invoice: invoices, amounts due, payment terms, billing documents",
    "payment": "payment: payments, charges, cards, bank transfers, failed or duplicate payments",
    "refund": "refund: money back, reimbursement, duplicate charge, cancelled order refund",
    "technical": "technical problem: errors, bugs, crashes, outages, connection or software not working",
    "bug": "bug: software defect, error message, crash, something not working as expected",
    "outage": "outage: service down, unavailable, cannot connect, system not responding",
    "account": "account: login, password, access, user profile, permissions",
    "access": "access: login, password reset, permissions, locked account, authorization",
    "security": "security: phishing, suspicious activity, malware, breach, compromised account",
    "shipping": "shipping: delivery, parcel, tracking, delayed or lost shipment, address",
    "delivery": "delivery: parcel, tracking, delayed or lost shipment, courier",
    "sales": "sales: quote, pricing, purchase, new contract, upgrade, demo",
    "feature request": "feature request: suggestion, new functionality, improvement idea",
    "complaint": "complaint: dissatisfaction, poor service, unhappy customer",
    "hr": "human resources: leave, salary, payroll, contract of employment, benefits",
    "hardware": "hardware: laptop, printer, screen, keyboard, device broken or faulty",
    "network": "network: VPN, wifi, internet connection, DNS, firewall",
    "other": "other: general question or anything else",
}


def describe(label: str, given: dict[str, str] | None = None) -> str:
    """The text embedded for a label: the caller's description, a known one, or the label itself."""
    if given and given.get(label):
        return f"{label}: {given[label]}"
    return COMMON_LABELS.get(label.strip().lower(), label)
