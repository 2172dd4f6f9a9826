"""Best-of-n with a trained reward model on the lab: does its score keep rising while gold stalls?

A reward model is trained by ranking but used by scoring: best-of-n keeps whatever it scores highest,
and pushing hard on an imperfect one raises its score while true quality stalls or falls (Gao et al.
2023, "Scaling laws for reward model overoptimization"). The lab knows the true reward, so here that
is measured: `candidates` draws fresh responses, `estimator` gives the exact expectation of the pick,
`curve` the table against n and KL, `plots` the pictures and `command` the `rmexp-bon` entry point.
"""
