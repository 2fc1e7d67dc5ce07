import unittest

from demo.tests import _work


class TestInventory0(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.004)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.crunch(16099)
        _work.sleep(0.015)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.017)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.116)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.074)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.005)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.147)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.011)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.019)
        self.assertEqual(8 + 1, 9)


class TestInventory1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.012)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.518)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.009)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.017)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.017)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.009)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.018)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.006)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.007)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.014)
        self.assertEqual(9 + 1, 10)
