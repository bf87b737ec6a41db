"""Errors of the campaigns app, with stable codes (the pages and tests tell them apart by class)."""


class CampaignError(Exception):
    code = "campaigns.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CampaignInvalid(CampaignError):
    code = "campaigns.invalid"


class CampaignNotFound(CampaignError):
    code = "campaigns.not_found"


class CampaignDenied(CampaignError):
    code = "campaigns.denied"


class CampaignPhase(CampaignError):
    """The step does not belong to the campaign's phase or falls outside its timetable."""

    code = "campaigns.phase"
