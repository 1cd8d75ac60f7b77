from tests.test_imports import _students, _student_row, _import_students, _job, coordinator  # noqa

def test_dbg(client, coordinator, outbox):
    content = _students(_student_row(1), _student_row(2, crebo="99999", town="Hengeloo"), _student_row(3, email="x<b>@y"))
    client.set_cookie("taal", "en")
    page = _import_students(client, content).get_data(as_text=True)
    import re
    print(re.search(r"<main.*</main>", page, re.S).group(0))
    job = _job("student_import")
    print(client.get(f"/coordinator/studenten/importeren?fouten={job.id}").get_data(as_text=True))
