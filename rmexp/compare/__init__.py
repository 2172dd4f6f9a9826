"""rmexp-compare: the runs of one or more sweeps, grouped into variants across seeds, as tables and plots."""
