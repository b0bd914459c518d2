# Pasted without saying from where.
# expect: undeclared-insertion
def retry(fn, times=3):
    for _ in range(times):
        try:
            return fn()
        except OSError:
            pass


# Pasted, and declared by the person who pasted it.
# ok: undeclared-insertion
def backoff(n):
    return 2 ** n
