"""Many processes, one account: a shared login, a shared rate budget and shared bookkeeping.

A web service running several worker processes (on one machine or many) on one LivionKey account
gives each client a :class:`RedisStore`::

    store = RedisStore(os.environ["REDIS_URL"], namespace="bookings")
    async with LivionKeyClient(email, password, store=store) as client: ...

Every process then uses one token (one login per account, single-flight across processes), one
rate budget (decided in Redis by one Lua script on Redis's clock: the limit is found, held and
probed once for all, and a 429 seen by one pauses all), and may keep its webhook dedupe
(``store.dedupe()``) and bulk journals (``store.journal(name)``) there. A process that cannot
reach Redis carries on alone (its own login, conservative pacing) and rejoins when Redis
answers again. Needs the ``redis`` extra (``pip install 'livionkey-async[redis]'``).
"""

from ._dedupe import RedisDedupeStore
from ._journal import RedisJournal
from ._store import RedisStore

__all__ = ["RedisDedupeStore", "RedisJournal", "RedisStore"]
