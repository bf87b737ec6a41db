from django.db import migrations

from chuishao.workforce.defaults import POST_SCALES, grade_coefficients


def load(apps, schema_editor):
    PostScale = apps.get_model("workforce", "PostScale")
    GradePay = apps.get_model("workforce", "GradePay")
    for post, low, high, years in POST_SCALES:
        PostScale.objects.get_or_create(
            city=None, post=post, defaults={"min_grade": low, "max_grade": high, "step_years": years}
        )
    for grade, coefficient in grade_coefficients().items():
        GradePay.objects.get_or_create(city=None, grade=grade, defaults={"coefficient": coefficient})


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
