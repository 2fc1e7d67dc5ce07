import unittest

from demo.tests import _work


class TestCheckout0(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.004)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.011)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.006)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.006)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.007)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.01)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.crunch(8732)
        _work.sleep(0.055)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.008)
        self.assertEqual(7 + 1, 8)


class TestCheckout1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.017)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(1.494)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.crunch(7741)
        _work.sleep(0.037)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.003)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.018)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.006)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(2.0)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.02)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.014)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.147)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.067)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.122)
        self.assertEqual(11 + 1, 12)


class TestCheckout2(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.009)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.007)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.14)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.012)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.101)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.019)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.126)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.015)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.01)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.crunch(11415)
        _work.sleep(0.117)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.01)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.003)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.sleep(0.12)
        self.assertEqual(12 + 1, 13)

    def test_merge_13(self):
        _work.sleep(0.019)
        self.assertEqual(13 + 1, 14)
