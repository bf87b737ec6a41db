"""``Case.filed_at`` and ``Case.escalated_at``, filled from the event log for the cases already there."""

from django.db import migrations, models

# The first ``case.file`` / ``case.escalated`` event of each case; ``UPDATE … FROM`` runs on PostgreSQL
# and on SQLite (3.33 and later) alike, one grouped pass over the events instead of a probe per case.
BACKFILL = """
UPDATE cases_case SET {column} = first.at
FROM (
    SELECT case_id, MIN(created_at) AS at FROM events_event
    WHERE verb = '{verb}' AND case_id IS NOT NULL GROUP BY case_id
) AS first
WHERE cases_case.id = first.case_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_retention_index"),
        ("events", "0002_erasable_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="filed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL.format(column="filed_at", verb="case.file"), migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL.format(column="escalated_at", verb="case.escalated"), migrations.RunSQL.noop),
    ]
