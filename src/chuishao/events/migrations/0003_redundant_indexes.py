"""Drop the events' indexes that another index already covers: the case key's own (the (case, seq)
index leads with it) and the verb's pattern-matching copy (``_like``; the verb index is kept, declared
in Meta). At 10 million cases that is 0.7 GB of the events' indexes, built at every load and written
with every event. ``event_verb`` is built anew (a plain CREATE INDEX: it holds event writes while it
runs).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_redundant_indexes"),
        ("events", "0002_erasable_texts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="case",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="verb",
            field=models.CharField(max_length=64),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["verb"], name="event_verb"),
        ),
    ]
