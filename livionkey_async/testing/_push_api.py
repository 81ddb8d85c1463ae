"""The simulator's webhook methods: register endpoints, play what happens at an automat, watch
the deliveries.

:class:`WebhookMethods` is mixed into ``Simulator``; its state (a :class:`~._push.WebhookPush`
and the codes and alarms of :class:`~._device_happenings.DeviceHappenings`) hangs off the
simulator, and a store observer turns every key event and contract write into pushed events::

    async with Simulator() as sim:
        sub = sim.add_webhook(f"{bot_url}/livion", shape="v2")   # sub.secret: whsec_...
        sim.fetch_key("00001", "A0001")        # -> key-status key-fetched
        sim.raise_alarm("00001", "DEVICE_MOVED")
        await sim.wait_for_webhooks()
"""

from __future__ import annotations

from collections.abc import Iterable

from .._events import CodeEnteredEvent, DeviceAlarmEvent
from ._config import SimConfig
from ._device_happenings import DeviceHappenings
from ._push import WebhookPush
from ._push_events import contract_in_force, contract_updates, key_status
from ._push_model import DeliveryRecord, WebhookSettings, WebhookSubscription, new_subscription
from ._records import KeyEvent, SimContract, SimDevice, SimKey
from ._state import SimState
from ._store import SimStore

__all__ = ["WebhookMethods"]


class _Relay:
    """Hears the store and publishes what Livion would push: key statuses, contract updates."""

    def __init__(self, store: SimStore, push: WebhookPush) -> None:
        self._store = store
        self._push = push

    def key_event(self, device: SimDevice, key: SimKey, event: KeyEvent) -> None:
        contract = contract_in_force(self._store.key_contracts(key), event.timestamp)
        pushed = key_status(device, key, event, contract)
        if pushed is not None:
            self._push.publish([pushed], device.account)

    def contract_written(self, contract: SimContract, *, created: bool) -> None:
        self._push.publish(contract_updates(contract, self._store.clock()), contract.account)


class WebhookMethods:
    """Webhook push for ``Simulator``: subscriptions, codes, alarms, the delivery log."""

    config: SimConfig
    state: SimState
    _webhooks: WebhookPush
    _happenings: DeviceHappenings

    def _init_webhooks(self) -> None:
        """Set up the push; called once by ``Simulator.__init__``."""
        self._webhooks = WebhookPush(clock=self.config.clock, seed=self.config.seed)
        self._happenings = DeviceHappenings(self.state.store)
        self.state.store.observers.append(_Relay(self.state.store, self._webhooks))

    def _reset_webhooks(self) -> None:
        self._webhooks.reset()
        self._happenings.reset()

    # -- subscriptions ---------------------------------------------------------------------------

    def add_webhook(
        self,
        url: str,
        *,
        shape: str = "v2",
        secret: str | None = None,
        api_key: str | None = None,
        api_key_header: str = "x-api-key",
        event_types: Iterable[str] | None = None,
        account: str | None = None,
    ) -> WebhookSubscription:
        """Push ``account``'s events (default: the primary account's) to ``url``.

        ``shape="v2"``: the signed envelope (``secret``: a ``whsec_`` secret, one is made when
        omitted: read it from the answer); ``shape="legacy"``: the flat body, with ``api_key``
        in the ``api_key_header`` header when given. ``event_types``: some of ``key-status``,
        ``contract-update``, ``code-entered``, ``device-alarm`` (default: all). ``ValueError``
        says what is wrong.
        """
        owner = (account or self.config.email).lower()
        if owner not in self.state.accounts:
            raise ValueError(f"no account {owner!r} in this simulator")
        subscription = new_subscription(
            self._webhooks.next_id(),
            url,
            account=owner,
            shape=shape,
            secret=secret,
            api_key=api_key,
            api_key_header=api_key_header,
            event_types=event_types,
        )
        self._webhooks.subscriptions[subscription.id] = subscription
        return subscription

    def remove_webhook(self, subscription_id: str) -> bool:
        """Stop pushing to a subscription (deliveries already queued still go); ``False`` if
        there is no such subscription."""
        return self._webhooks.subscriptions.pop(subscription_id, None) is not None

    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        return list(self._webhooks.subscriptions.values())

    @property
    def webhook_settings(self) -> WebhookSettings:
        """Retry time scale, attempt timeout and the duplicate/late faults; change it live."""
        return self._webhooks.settings

    def webhook_deliveries(self) -> list[DeliveryRecord]:
        """Every delivery attempt so far, in the order they were made."""
        return list(self._webhooks.deliveries)

    async def wait_for_webhooks(self) -> None:
        """Wait until every queued delivery has ended (delivered or given up); bound it with
        ``asyncio.timeout``: with ``time_scale=1`` a failing endpoint is retried for hours."""
        await self._webhooks.wait_idle()

    # -- what happens at an automat --------------------------------------------------------------

    def key_not_returned(self, device_id: str, key_id: str) -> None:
        """The key was not returned in time (records and pushes ``key-not-returned``)."""
        self.state.key_action(device_id, key_id, "key-not-returned")

    def enter_code(
        self, device_id: str, code: str, *, code_type: str | None = None, key_id: str | None = None
    ) -> CodeEnteredEvent:
        """A right code is entered on the device: push ``code-entered`` and answer the event.

        ``code_type=None`` finds the kind: a live contract's pincode there (``right-pincode``)
        or a live access right's (``right-access-code``); a return code is named
        (``code_type="right-return-code"``, with ``key_id``). A wrong code raises ``SimError``.
        """
        event = self._happenings.enter_code(device_id, code, code_type=code_type, key_id=key_id)
        self._webhooks.publish([event], self.state.devices[device_id].account)
        return event

    def raise_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        """The device raises an alarm (``DEVICE_MOVED``, ...): push it ``activated``."""
        return self._alarm(self._happenings.raise_alarm(device_id, alarm_type))

    def acknowledge_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        """Someone acknowledged the active alarm: push it ``activated``, ``acknowledged``."""
        return self._alarm(self._happenings.acknowledge_alarm(device_id, alarm_type))

    def clear_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        """The alarm is over: push it ``deactivated``, with its ``end``."""
        return self._alarm(self._happenings.clear_alarm(device_id, alarm_type))

    def _alarm(self, event: DeviceAlarmEvent) -> DeviceAlarmEvent:
        assert event.device_id is not None
        self._webhooks.publish([event], self.state.devices[event.device_id].account)
        return event
