"""Hypothesis strategies for Grid'5000 names, shared by the property tests."""

from hypothesis import strategies as st

# A cluster is lowercase words joined by dashes, each word starting with a letter (sagittaire-ib).
CLUSTER = st.from_regex(r"\A[a-z][a-z0-9]{0,8}(-[a-z][a-z0-9]{0,4}){0,2}\Z")
SITE = st.from_regex(r"\A[a-z][a-z0-9]{1,9}\Z")
NODE_NUMBER = st.integers(min_value=1, max_value=9999)
SHORT_NAME = st.builds(lambda cluster, number: "%s-%d" % (cluster, number), CLUSTER, NODE_NUMBER)
