"""Grid work: patrols of a grid, household and unit visits, responsibility grids (one worker's beat) and
patrol coverage."""
