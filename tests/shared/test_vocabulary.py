"""The roster's words (shared/vocabulary.py): one definition, the groupings nested as the policies use them."""

from shared import roster, vocabulary


def test_labour_groupings_nest_and_cover_every_value_once():
    assert len(set(vocabulary.LABOUR_ABILITIES)) == len(vocabulary.LABOUR_ABILITIES) == 5
    assert set(vocabulary.FULL_LABOUR) < set(vocabulary.ABLE_TO_WORK) < set(vocabulary.LABOUR_ABILITIES)
    assert set(vocabulary.ABLE_TO_WORK) - set(vocabulary.FULL_LABOUR) == {vocabulary.WEAK_LABOUR}
    assert not set(vocabulary.ABLE_TO_WORK) & set(vocabulary.NO_LABOUR)


def test_statuses_and_relations():
    assert vocabulary.PERSON_STATUSES == ("正常", "死亡", "迁出")
    assert vocabulary.LIVING in vocabulary.PERSON_STATUSES and vocabulary.DECEASED in vocabulary.PERSON_STATUSES
    assert vocabulary.RELATIONS[0] == vocabulary.HEAD == "户主"
    assert roster.PERSON_STATUSES is vocabulary.PERSON_STATUSES  # the roster schema validates against the one list
