"""A back-up can be restored: data written after the back-up is gone, data before it is back."""

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Company, User


def test_backup_and_restore_round_trip(runner, make, tmp_path):
    make.company(name="Voor de back-up")
    db.session.commit()
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    make.company(name="Na de back-up")
    make.admin()
    db.session.commit()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(select(Company.name)))
    assert names == {"Voor de back-up"}
    assert db.session.scalar(select(func.count(User.id))) == 0
