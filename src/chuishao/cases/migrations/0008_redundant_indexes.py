"""Drop the cases' indexes that another index already covers.

Each place and owner key (city, category, grid, community, street, district, lead organisation) had an
index of its own and led a composite one; the state had a pattern-matching copy (``_like``) beside its
index, and so did the unique number and follow token on PostgreSQL. Nothing filters those by a prefix.
At 10 million cases these were 10 of the table's 33 indexes (1.5 GB): built at every load, written at
every case change. Dropping an index takes no time; ``case_status`` is built anew (on PostgreSQL a
plain CREATE INDEX, which holds writes to the cases while it runs: about a minute at 10 M cases).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_unique_pattern_copies(apps, schema_editor):
    """The unique number and follow token keep their unique index; only the ``_like`` copy goes."""
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("cases", "Case")._meta.db_table
    for column in ("number", "follow_token"):
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_filed_escalated_at"),
        ("catalog", "0004_complex_level"),
        ("geo", "0001_initial"),
        ("orgs", "0004_party_dates_complex_board"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_unique_pattern_copies, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="case",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="catalog.category",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="city",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.jurisdiction",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="community",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.jurisdiction",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="district",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.jurisdiction",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="grid",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.jurisdiction",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="lead_org",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="status",
            field=models.CharField(
                choices=[
                    ("reported", "reported"),
                    ("verified", "verified"),
                    ("filed", "filed"),
                    ("declined", "declined"),
                    ("cancelled", "cancelled"),
                    ("dispatched", "dispatched"),
                    ("accepted", "accepted"),
                    ("returned", "returned"),
                    ("handling", "handling"),
                    ("extension_requested", "extension requested"),
                    ("handled", "handled"),
                    ("checked", "checked"),
                    ("reworked", "sent back for rework"),
                    ("closed", "closed"),
                    ("rated", "rated"),
                    ("reopened", "reopened"),
                    ("parked", "parked"),
                    ("arbitration", "awaiting arbitration"),
                    ("self_handled", "self-handled"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="street",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.jurisdiction",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status"], name="case_status"),
        ),
    ]
