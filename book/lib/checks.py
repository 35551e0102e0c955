"""Claims a chapter makes about its own results, checked where they are made."""


class ClaimFailed(AssertionError):
    """A chapter's claim did not hold for the run at hand."""


def expect(condition, claim):
    """Print ``✓ claim`` if ``condition`` holds, else raise ``ClaimFailed``.

    The printed text is what nbval compares, so ``claim`` should be words that
    read the same in every profile; the numbers belong in ``condition``.
    """
    if not condition:
        raise ClaimFailed(f"✗ {claim}")
    print(f"✓ {claim}")
