"""The change-sequence counters stations pull after (hub.store.models.next_change_seq): one helper, one row
per table."""

from hub.store.models import PostingClock, RosterClock, TaskClock, next_change_seq


def test_each_counter_grows_by_one_and_on_its_own(hub_db):
    start = {clock: clock.get_by_id(1).value for clock in (RosterClock, PostingClock, TaskClock)}
    assert next_change_seq(RosterClock) == start[RosterClock] + 1
    assert next_change_seq(RosterClock) == start[RosterClock] + 2
    assert next_change_seq(TaskClock) == start[TaskClock] + 1
    assert PostingClock.get_by_id(1).value == start[PostingClock]
    assert next_change_seq(PostingClock) == start[PostingClock] + 1
