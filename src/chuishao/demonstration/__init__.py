"""The demonstration programme: demonstration units named per region within a quota, goals measured from
the system's own data, and a yearly review that keeps, warns or drops each unit with its evidence."""
