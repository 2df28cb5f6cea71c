"""shared.rows: a query's rows as tuples, in the query's order."""

from peewee import IntegerField, Model, SqliteDatabase, TextField

from shared.rows import tuples


def test_tuples_are_the_rows_of_the_query_in_its_order():
    db = SqliteDatabase(":memory:")

    class Thing(Model):
        name = TextField()
        size = IntegerField()

        class Meta:
            database = db

    db.create_tables([Thing])
    Thing.insert_many([("b", 2), ("a", 1)], fields=[Thing.name, Thing.size]).execute()
    rows = list(tuples(Thing.select(Thing.name, Thing.size).order_by(Thing.size)))
    assert rows == [("a", 1), ("b", 2)]
    assert dict(tuples(Thing.select(Thing.name, Thing.size))) == {"a": 1, "b": 2}
