"""``stockroom demo``: see stockroom/cli/demo.py."""

import sys

from django.core.management import call_command
from django.core.management.base import CommandError

from stockroom.cli import demo, demo_shopify
from stockroom.cli.demo_ebay import EbayDemo
from stockroom.cli.management.commands._output import StockroomCommand


class Command(StockroomCommand):
    help = (
        "Run Stockroom with a demo seller: the Amazon simulator with two accounts sharing one stock, "
        "orders arriving, the web UI and the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sim-port", type=int, default=8765, help="port of the Amazon simulator")
        parser.add_argument("--ebay-sim-port", type=int, default=8767, help="port of the eBay simulator")
        parser.add_argument(
            "--sqs-port", type=int, default=8769, help="port of the local SQS (moto) for order notifications"
        )
        parser.add_argument(
            "--orders-every",
            type=float,
            default=30.0,
            help="seconds between simulated buyers' orders (0 = none)",
        )
        parser.add_argument("--setup-only", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, **options):
        from stockroom.cli.management.commands.sync import run_line
        from stockroom.sandbox.amazon.process import SimulatorProcess
        from stockroom.sandbox.common.sqs import SqsServer
        from stockroom.sync.engine import sync_all
        from stockroom.sync.models import SyncTrigger

        # before anything is printed or started: a busy port would otherwise fail only at the end
        busy = demo.busy_ports(
            options["host"],
            {
                "the web server": options["port"],
                "the Amazon simulator": options["sim_port"],
                "the eBay simulator": options["ebay_sim_port"],
                "the local SQS server": options["sqs_port"],
            },
        )
        if busy:
            web = demo.free_port_after(options["host"], options["port"]) or 8001
            sim = demo.free_port_after(options["host"], options["sim_port"], avoid={web}) or 8766
            raise CommandError(
                "; ".join(busy) + ". Stop the program holding it (another demo?) or pick free ports, e.g. "
                f"make demo PORT={web} SIM_PORT={sim} (or stockroom demo --port {web} --sim-port {sim})."
            )
        call_command("migrate", verbosity=0)
        username, password = demo.demo_login()
        simulator = SimulatorProcess(port=options["sim_port"], seed=7, state_file=demo.state_file())
        sqs = SqsServer(port=options["sqs_port"])
        try:
            sqs.start()
        except RuntimeError as error:
            raise CommandError(
                f"the local SQS server (moto) could not start on port {options['sqs_port']}: {error}. "
                "Is another demo running? Stop it or pass --sqs-port."
            ) from None
        try:
            simulator.start()
        except RuntimeError as error:
            sqs.stop()
            raise CommandError(
                f"the Amazon simulator could not start on port {options['sim_port']}: {error}. "
                "Is another demo running? Stop it or pass --sim-port."
            ) from None
        generator = None
        url = f"http://{options['host']}:{options['port']}/"
        ebay = EbayDemo(
            host=options["host"],
            port=options["ebay_sim_port"],
            web_url=url,
            orders_every=options["orders_every"],
        )
        try:
            control = simulator.control()
            demo.seed_simulator(control)
            if not any(control.orders(s.seller_id) for s in demo.SELLERS):
                demo.place_first_orders(control)
            demo.seed_stockroom(simulator.base_url)
            # Amazon's order notifications through a queue on the local SQS: orders arrive in seconds
            control.configure(sqs_endpoint_url=sqs.endpoint_url)
            demo.enable_order_notifications(sqs.create_queue(demo.DEMO_QUEUE))
            ebay.start()
            ebay.seed_stockroom()
            demo_shopify.add_to_demo(options, self.stdout)  # the demo shop on the Shopify simulator
            self.stdout.write(
                "Synchronising the demo accounts with the simulated Amazon, eBay and Shopify..."
            )
            # the first pass downloads the orders; the second pushes the quantities they changed
            for _ in range(2):
                for run in sync_all(trigger=SyncTrigger.CLI, all_listings=True):
                    self.stdout.write(f"  {run_line(run)}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nStockroom demo ready.\n  Open {url}\n  Log in as: {username} / {password}\n"
                    f"  Simulated Amazon (SP-API + /_sim/ control API): {simulator.base_url}\n"
                    f"  Order notifications through the local SQS (moto): {sqs.endpoint_url}\n"
                    + ebay.banner()
                )
            )
            if options["setup_only"]:
                return
            if options["orders_every"] > 0:
                generator = demo.OrderGenerator(control, options["orders_every"])
                generator.start()
                ebay.start_buyers()
                self.stdout.write(
                    f"  A simulated buyer places an Amazon order every {options['orders_every']:g} s.\n"
                )
            sys.stdout.flush()
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            if generator:
                generator.stopped.set()
            ebay.stop()
            simulator.stop()
            sqs.stop()
