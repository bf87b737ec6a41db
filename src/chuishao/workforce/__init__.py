"""Community workers (三岗十八级: posts, grades, pay coefficients) and their workload (社区减负: the task
admission register and the catalogue of reports generated from data entered once)."""
