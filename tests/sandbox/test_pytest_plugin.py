pytest_plugins = ["stockroom.sandbox.amazon.pytest_plugin"]


def test_plugin_fixtures_give_a_reset_simulator(amazon_simulator, amazon_sim):
    assert amazon_simulator.token_url == amazon_simulator.base_url + "/auth/o2/token"
    assert amazon_sim.sellers() == []
    amazon_sim.create_seller("A1PLUGIN")
    assert [s["seller_id"] for s in amazon_sim.sellers()] == ["A1PLUGIN"]
