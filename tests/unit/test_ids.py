from mastra.ids import new_id


def test_ids_are_unique_sorted_and_fixed_length() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {26}
