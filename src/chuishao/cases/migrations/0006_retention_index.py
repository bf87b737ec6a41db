"""An index for the retention job's query (finished cases by ``closed_at``, else ``updated_at``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_desk_newest_first_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["closed_at", "updated_at"], name="case_retention"),
        ),
    ]
