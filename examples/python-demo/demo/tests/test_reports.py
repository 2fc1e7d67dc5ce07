import unittest

from demo.tests import _work


class TestSharedReports0(unittest.TestCase):
    """Tests that share an expensive fixture: baton keeps them on one worker, in order."""

    @classmethod
    def setUpClass(cls):
        _work.sleep(0.2)
        cls.fixture = {"ready": True}

    def test_create_0(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.285)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.303)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.208)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.349)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.103)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.25)
        self.assertEqual(5 + 1, 6)


class TestReports1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.122)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.crunch(5866)
        _work.sleep(0.083)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.crunch(17425)
        _work.sleep(0.018)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.117)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.009)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.004)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.141)
        self.assertEqual(6 + 1, 7)


class TestReports2(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.02)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.009)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.092)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.crunch(4212)
        _work.sleep(2.0)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.007)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.007)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.349)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.crunch(7389)
        _work.sleep(0.083)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.051)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.097)
        self.assertEqual(9 + 1, 10)
