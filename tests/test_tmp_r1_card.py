from sqlalchemy import select
from stagematch.extensions import db
from stagematch.models import User


def test_show(client, auth, make, runner):
    r = runner.invoke(args=["demo", "--students", "2500", "--companies", "500", "--seed", "11"])
    out = runner.invoke(args=["train"]).output
    print(out)
    auth.login(make.admin())
    page = client.get("/beheer/model").get_data(as_text=True)
    import re
    text = re.sub(r"<[^>]+>", " ", page[page.index("<article>"):page.index("</article>")])
    print(re.sub(r"\s+", " ", text)[:4000])
    page_en = client.get("/beheer/model", headers={"Accept-Language": "en"})
