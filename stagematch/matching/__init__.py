"""Match ranking, supervision quality and allocation: plain functions over plain data, no Flask."""
