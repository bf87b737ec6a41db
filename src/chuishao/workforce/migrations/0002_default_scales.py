from django.db import migrations

from chuishao.workforce.defaults import workforce_load_defaults


def load(apps, schema_editor):
    workforce_load_defaults(apps.get_model("workforce", "PostScale"), apps.get_model("workforce", "GradePay"))


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
