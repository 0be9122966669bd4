"""Controllers: the only writers of the models; they start workers over core."""

from app.controllers.analysis_controller import AnalysisController

__all__ = ["AnalysisController"]
