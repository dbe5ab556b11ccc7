"""A small inventory model: items, stock movements and a report."""

from dataclasses import dataclass, field
from datetime import date
import json


@dataclass
class Item:
    sku: str
    name: str
    price: float
    tags: list = field(default_factory=list)

    def label(self) -> str:
        return f"{self.sku}: {self.name} ({self.price:.2f})"


class Inventory:
    def __init__(self):
        self._items = {}
        self._stock = {}
        self._log = []

    def add(self, item, quantity=0):
        if item.sku in self._items:
            raise KeyError("duplicate sku " + item.sku)
        self._items[item.sku] = item
        self._stock[item.sku] = quantity
        self._log.append((date.today(), item.sku, quantity))

    def move(self, sku, delta):
        if sku not in self._stock:
            raise KeyError(sku)
        new = self._stock[sku] + delta
        if new < 0:
            raise ValueError(
                "not enough stock for %s: have %d, need %d" % (sku, self._stock[sku], -delta)
            )
        self._stock[sku] = new
        self._log.append((date.today(), sku, delta))
        return new

    def value(self):
        total = 0.0
        for sku, quantity in self._stock.items():
            total += self._items[sku].price * quantity
        return round(total, 2)

    def low_stock(self, threshold=5):
        return sorted(
            (sku for sku, q in self._stock.items() if q < threshold),
            key=lambda s: (self._stock[s], s),
        )

    def by_tag(self):
        groups = {}
        for item in self._items.values():
            for tag in item.tags or ["untagged"]:
                groups.setdefault(tag, []).append(item.sku)
        return {tag: sorted(skus) for tag, skus in groups.items()}

    def report(self):
        lines = ["SKU      NAME                 QTY      VALUE"]
        for sku in sorted(self._items):
            item = self._items[sku]
            quantity = self._stock[sku]
            lines.append(
                "%-8s %-20s %5d %10.2f" % (sku, item.name[:20], quantity, quantity * item.price)
            )
        lines.append("total value: %.2f" % self.value())
        return "\n".join(lines)

    def to_json(self):
        return json.dumps(
            {
                "items": [
                    {"sku": i.sku, "name": i.name, "price": i.price, "tags": i.tags}
                    for i in self._items.values()
                ],
                "stock": self._stock,
            },
            indent=2,
        )


def main():
    inventory = Inventory()
    inventory.add(Item("A-100", "Widget", 2.5, ["parts"]), 40)
    inventory.add(Item("B-200", "Gadget", 12.0, ["tools", "parts"]), 3)
    inventory.add(Item("C-300", "Gizmo", 7.25), 0)
    try:
        inventory.move("C-300", -1)
    except ValueError as error:
        print("refused:", error)
    inventory.move("A-100", -15)
    print(inventory.report())
    print(inventory.low_stock())
    print(inventory.by_tag())


if __name__ == "__main__":
    main()
