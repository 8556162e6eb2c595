"""Imports every model so that metadata (and Alembic) sees all tables."""
from .accounts.models import ApiToken, Organization, User, UserRole  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .festivals.models import Festival, FestivalSession  # noqa: F401
from .inventory.models import SeatInventory  # noqa: F401
from .seating.models import PriceCategory, Seat, SeatingMap, Section, Stand  # noqa: F401
from .sales.models import Order, Payment, Ticket  # noqa: F401
from .ledger.models import LedgerEntry, SplitRule  # noqa: F401
from .revenue.models import ClosedPeriod, Expense  # noqa: F401
from .gate.models import Admission, CheckIn, Entrance, EntranceStand  # noqa: F401
from .shop.models import Cart, CartSeat, StripeEvent  # noqa: F401
