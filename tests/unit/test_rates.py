from shared.rates import VisitOutcome, format_rate, tally_day, visit_completion_rate, visit_success_rate

A, B, C, D, X = "a", "b", "c", "d", "x"


def test_off_route_visits_and_orders_count_in_neither_rate() -> None:
    tally = tally_day(
        [A, B, C, D],
        [VisitOutcome(A, True), VisitOutcome(B, True), VisitOutcome(C, False), VisitOutcome(X, True)],
    )
    assert (tally.planned, tally.visited_on_route, tally.visited_off_route) == (4, 3, 1)
    assert (tally.ordered_on_route, tally.ordered_off_route) == (2, 1)
    assert tally.completion_rate == 75.0
    assert tally.success_rate is not None and round(tally.success_rate, 1) == 66.7


def test_customers_are_counted_once_however_often_visited() -> None:
    tally = tally_day([A, B], [VisitOutcome(A, False), VisitOutcome(A, True), VisitOutcome(A, False)])
    assert tally.visited_on_route == 1
    assert tally.ordered_on_route == 1
    assert tally.completion_rate == 50.0
    assert tally.success_rate == 100.0


def test_rates_are_undefined_without_a_plan_or_without_visits() -> None:
    assert visit_completion_rate(0, 0) is None
    assert visit_success_rate(0, 0) is None
    tally = tally_day([], [VisitOutcome(X, True)])
    assert tally.completion_rate is None and tally.visited_off_route == 1
    assert format_rate(None) == "—"
    assert format_rate(66.666) == "67%"
