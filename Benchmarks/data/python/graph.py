import heapq
from collections import defaultdict, deque


class Graph:
    """A weighted directed graph with a few classic algorithms."""

    def __init__(self, edges=()):
        self.adjacent = defaultdict(dict)
        for source, target, weight in edges:
            self.add_edge(source, target, weight)

    def add_edge(self, source, target, weight=1):
        self.adjacent[source][target] = weight
        self.adjacent.setdefault(target, {})

    def nodes(self):
        return list(self.adjacent)

    def breadth_first(self, start):
        seen = {start}
        order = []
        queue = deque([start])
        while queue:
            node = queue.popleft()
            order.append(node)
            for neighbour in sorted(self.adjacent[node]):
                if neighbour not in seen:
                    seen.add(neighbour)
                    queue.append(neighbour)
        return order

    def shortest_paths(self, start):
        distance = {start: 0}
        previous = {}
        heap = [(0, start)]
        while heap:
            d, node = heapq.heappop(heap)
            if d > distance.get(node, float("inf")):
                continue
            for neighbour, weight in self.adjacent[node].items():
                candidate = d + weight
                if candidate < distance.get(neighbour, float("inf")):
                    distance[neighbour] = candidate
                    previous[neighbour] = node
                    heapq.heappush(heap, (candidate, neighbour))
        return distance, previous

    def path(self, start, goal):
        _, previous = self.shortest_paths(start)
        if goal != start and goal not in previous:
            return None
        steps = [goal]
        while steps[-1] != start:
            steps.append(previous[steps[-1]])
        return steps[::-1]

    def topological_order(self):
        indegree = {node: 0 for node in self.adjacent}
        for node in self.adjacent:
            for neighbour in self.adjacent[node]:
                indegree[neighbour] += 1
        ready = [node for node, n in indegree.items() if n == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for neighbour in self.adjacent[node]:
                indegree[neighbour] -= 1
                if indegree[neighbour] == 0:
                    heapq.heappush(ready, neighbour)
        if len(order) != len(indegree):
            raise ValueError("the graph has a cycle")
        return order


if __name__ == "__main__":
    g = Graph([("a", "b", 4), ("a", "c", 1), ("c", "b", 2), ("b", "d", 5), ("c", "d", 8)])
    print(g.breadth_first("a"))
    print(g.path("a", "d"))
    print(g.topological_order())
