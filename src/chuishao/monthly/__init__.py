"""每月一题 (one problem a month): recurring, cross-department problems mined from the cases, the problem a
city takes on with its lead department and tasks, and its monthly volume and satisfaction before and after."""
