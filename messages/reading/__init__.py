"""Reading patients' words, stage by stage (issue 14): clock times, number words."""
