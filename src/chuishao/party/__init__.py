"""Party organisations (members, coverage and its gaps, 空白点) and red property (红色物业): a complex's
board, its joint meetings and the cases it takes first."""
