"""Personal data: detection, redaction and each tenant's policy (redact / mask / allow).

- ``detect(text)``: typed spans (EMAIL, PHONE, CREDIT_CARD, IBAN, SSN, NATIONAL_ID, IP_ADDRESS,
  SECRET), validated (Luhn, mod-97, SSN rules, libphonenumber, ``ipaddress``), overlaps resolved;
- ``redact(text, policy)``: placeholders (``[EMAIL]``) or masks (``j***@example.com``) per type;
- ``PrivacyService``: the tenant's stored policy applied to what enters (the user's message) and
  leaves (the answer); ``logs.install()``: the logging safety net;
- ``evaluate``: ``mastra eval pii``.
"""

from mastra.privacy.detect import detect
from mastra.privacy.entities import TYPES, Span
from mastra.privacy.policy import DEFAULT, MODES, PrivacyPolicy
from mastra.privacy.redact import Redaction, redact, redact_text
from mastra.privacy.service import PrivacyService
from mastra.privacy.store import PolicyStore, open_policies

__all__ = [
    "DEFAULT",
    "MODES",
    "TYPES",
    "PolicyStore",
    "PrivacyPolicy",
    "PrivacyService",
    "Redaction",
    "Span",
    "detect",
    "open_policies",
    "redact",
    "redact_text",
]
