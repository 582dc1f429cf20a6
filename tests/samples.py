ORDERS_PY = b'''"""Order helpers."""
import time


def upload_with_retry(client, path, *, attempts=3):
    """Upload a file to S3, retrying with exponential backoff."""
    for i in range(attempts):
        try:
            return client.upload(path)
        except IOError:
            time.sleep(2 ** i)
    raise RuntimeError("upload failed")


class OrderRepo:
    def get_order_by_id(self, order_id):
        """Fetch one order by its id & return it as a <dict>."""
        return {"id": order_id}
'''

PAYMENTS_PY = b'''def refund_payment(payment_id, amount):
    """Refund part of a card payment through the payment gateway."""
    return {"payment": payment_id, "refunded": amount}
'''


def many_functions(n: int) -> bytes:
    return (
        "\n\n".join(
            f'def helper_{i}(x):\n    """Helper number {i} doubles x."""\n    return x * {i}'
            for i in range(n)
        ).encode()
        + b"\n"
    )
