"""After the disk leaves the shop: revoking licences and stations, replacing lost disks.

Qt-free; ``pressroom revoke``, ``pressroom reissue`` and the History tab's "Replace lost
disk..." all call these functions. Revocation lists are signed by the publisher (the
station signs only disk licences), so a station without the publisher key records a
*request* and imports the publisher's list later (docs/SECURITY.md, "After the sale").
"""

from pressroom.aftercare.parts import AftercareParts
from pressroom.aftercare.reissue import (
    ReissueOutcome,
    ReissuePlan,
    complete_reissue,
    plan_reissue,
)
from pressroom.aftercare.revoke import (
    RevocationOutcome,
    current_list,
    import_list,
    revoke,
)

__all__ = [
    "AftercareParts",
    "ReissueOutcome",
    "ReissuePlan",
    "RevocationOutcome",
    "complete_reissue",
    "current_list",
    "import_list",
    "plan_reissue",
    "revoke",
]
