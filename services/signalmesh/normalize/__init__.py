"""Building blocks connectors and the validator compose: currencies, countries, phones, text.

Platform rules stay in each connector; these are the facts every platform shares.
"""
