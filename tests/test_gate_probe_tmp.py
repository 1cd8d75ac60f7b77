import json
from stagematch.extensions import db

def test_probe(app, runner):
    from stagematch.ranking import training_examples
    from stagematch.matching.model import train
    import pickle
    r = runner.invoke(args=["demo", "--students", "2500", "--companies", "500", "--seed", "11"])
    assert r.exit_code == 0
    sessions = training_examples()
    model = train(sessions, random_state=0)
    with open("/tmp/r2/probe.pkl", "wb") as f:
        pickle.dump((sessions, model), f)
    for m in model.metrics:
        print(m)
